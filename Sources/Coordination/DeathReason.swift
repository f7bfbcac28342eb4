/// Why a member left the ring.
public enum DeathReason: Sendable, Equatable, CustomStringConvertible {
    /// Nothing heard from it for `seconds` (longer than the heartbeat timeout).
    case heartbeatTimeout(seconds: Double)
    /// It said goodbye.
    case left
    /// The same node joined again with a higher incarnation (it restarted).
    case restarted(incarnation: UInt64)

    public var description: String {
        switch self {
        case .heartbeatTimeout(let s): return "no heartbeat for \(s) s"
        case .left: return "left"
        case .restarted(let i): return "restarted as incarnation \(i)"
        }
    }
}
