/// Why a ring all-reduce did not complete. Each case names the peer rank involved.
public enum RingAllReduceError: Error, Equatable, CustomStringConvertible {
    /// No frame from `peerRank` (the predecessor) within the deadline.
    case timeout(peerRank: Int, phase: RingPhase, ringStep: Int, chunk: Int, waitedMilliseconds: Int)
    /// The predecessor's zero-copy sends were not released within the deadline.
    case sendsNotReleased(peerRank: Int, waitedMilliseconds: Int)
    /// The buffer does not hold the schedule's element count.
    case bufferSizeMismatch(expected: Int, found: Int)
    /// The control side abandoned this generation's all-reduces (`RingCancellation`): the ring
    /// re-forms, or the run stops.
    case abandoned(generation: UInt64)

    public var description: String {
        switch self {
        case let .timeout(peer, phase, ringStep, chunk, waited):
            return "ring all-reduce: no frame from rank \(peer) within \(waited) ms (\(phase), ring step \(ringStep), chunk \(chunk))"
        case let .sendsNotReleased(peer, waited):
            return "ring all-reduce: sends to rank \(peer) not released within \(waited) ms"
        case let .bufferSizeMismatch(expected, found):
            return "ring all-reduce: buffer expected \(expected) elements, found \(found)"
        case let .abandoned(generation):
            return "ring all-reduce: generation \(generation) abandoned"
        }
    }
}
