/// What one rank does in one step of a ring all-reduce: send one segment to its successor and
/// receive one segment from its predecessor.
public struct RingStep: Sendable, Equatable {
    /// Position of this step in the whole all-reduce, 0 ..< 2(N-1); carried in every frame.
    public let index: Int
    /// Reduce-scatter (sum) or all-gather (copy).
    public let phase: RingPhase
    /// Segment sent to the successor in this step.
    public let sendSegment: Int
    /// Segment received from the predecessor in this step.
    public let receiveSegment: Int

    /// True when received elements are added to the buffer, false when they replace it.
    public var sums: Bool { phase == .reduceScatter }
}
