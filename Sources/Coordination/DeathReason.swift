/// Why a member left the ring.
public enum DeathReason: Sendable, Equatable, CustomStringConvertible {
    /// Nothing heard from it for `seconds` (longer than the heartbeat timeout).
    case heartbeatTimeout(seconds: Double)
    /// It said goodbye.
    case left
    /// The same node joined again with a higher incarnation (it restarted).
    case restarted(incarnation: UInt64)
    /// It did not answer its assignment within the ready timeout.
    case assignmentUnanswered(seconds: Double)
    /// Other ranks reported the step it has not reported for `seconds` (longer than the step timeout).
    case stalled(step: Int, seconds: Double)

    public var description: String {
        switch self {
        case .heartbeatTimeout(let s): return "no heartbeat for \(s) s"
        case .left: return "left"
        case .restarted(let i): return "restarted as incarnation \(i)"
        case .assignmentUnanswered(let s): return "did not answer its assignment for \(s) s"
        case .stalled(let step, let s): return "has not reported step \(step) for \(s) s while other ranks did"
        }
    }
}
