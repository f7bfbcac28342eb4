/// Why a ring all-reduce did not complete. Each case names the peer rank involved.
public enum RingAllReduceError: Error, Equatable, CustomStringConvertible {
    /// No frame from `peerRank` (the predecessor) within the deadline.
    case timeout(peerRank: Int, phase: RingPhase, ringStep: Int, chunk: Int, waitedMilliseconds: Int)
    /// The predecessor's zero-copy sends were not released within the deadline.
    case sendsNotReleased(peerRank: Int, waitedMilliseconds: Int)
    /// A frame of the current generation and step that does not fit the schedule.
    case unexpectedFrame(peerRank: Int, expected: String, found: String)
    /// A frame that could not be decoded.
    case badFrame(peerRank: Int, RingFrameError)
    /// The buffer does not hold the schedule's element count.
    case bufferSizeMismatch(expected: Int, found: Int)

    public var description: String {
        switch self {
        case let .timeout(peer, phase, ringStep, chunk, waited):
            return "ring all-reduce: no frame from rank \(peer) within \(waited) ms (\(phase), ring step \(ringStep), chunk \(chunk))"
        case let .sendsNotReleased(peer, waited):
            return "ring all-reduce: sends to rank \(peer) not released within \(waited) ms"
        case let .unexpectedFrame(peer, expected, found):
            return "ring all-reduce: frame from rank \(peer): expected \(expected), found \(found)"
        case let .badFrame(peer, error):
            return "ring all-reduce: frame from rank \(peer) rejected: \(error)"
        case let .bufferSizeMismatch(expected, found):
            return "ring all-reduce: buffer expected \(expected) elements, found \(found)"
        }
    }
}
