/// The two halves of a ring all-reduce.
public enum RingPhase: UInt8, Sendable, CustomStringConvertible {
    /// Each rank sums the segment it receives into its buffer; after N-1 steps every rank owns one
    /// fully reduced segment.
    case reduceScatter = 0
    /// Each rank copies the reduced segment it receives into its buffer; after N-1 steps every rank
    /// holds the whole reduced buffer.
    case allGather = 1

    public var description: String {
        switch self {
        case .reduceScatter: return "reduce-scatter"
        case .allGather: return "all-gather"
        }
    }
}
