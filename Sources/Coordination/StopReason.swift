import Checksums
/// Why the coordinator stops the run.
public enum StopReason: Sendable, Equatable, CustomStringConvertible {
    public struct RankChecksum: Sendable, Equatable {
        public var rank: Int
        public var checksum: UInt64
        public init(rank: Int, checksum: UInt64) { self.rank = rank; self.checksum = checksum }
    }

    /// The configured number of steps completed; `step` is the last step's index.
    case finished(step: Int)
    /// Weight checksums differ after step `step`: `minority` ranks differ from `majority`
    /// (nil when no value has a strict majority; then `minority` lists every rank).
    case weightsDiverged(step: Int, majority: UInt64?, minority: [RankChecksum])
    /// Fewer than the minimum workers for longer than the wait timeout.
    case tooFewWorkers(have: Int, need: Int, waitedSeconds: Double)
    /// An operator or the shell asked for it.
    case requested(String)
    /// Stopped on a signal (SIGTERM, SIGINT) after every rank finished `step` and its state was
    /// consolidated into a checkpoint: the run is not over, `--resume` continues it.
    case suspended(step: Int, why: String)

    /// Steps every rank completed when the run ended this way (finished or suspended).
    public var completedSteps: Int? {
        switch self {
        case .finished(let step): step + 1
        case .suspended(let step, _): step
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .finished(let step):
            return "finished after step \(step + 1)"
        case .weightsDiverged(let step, let majority, let minority):
            let ranks = minority.map { "rank \($0.rank) has \(Hex.prefixed($0.checksum))" }.joined(separator: ", ")
            if let majority {
                return "weight checksums differ after step \(step + 1): \(ranks); the majority has \(Hex.prefixed(majority))"
            }
            return "weight checksums differ after step \(step + 1) with no majority: \(ranks)"
        case .tooFewWorkers(let have, let need, let waited):
            return "too few workers: have \(have), need \(need), waited \(waited) s"
        case .requested(let why):
            return "stop requested: \(why)"
        case .suspended(let step, let why):
            return "stopped by \(why) after step \(step), with a consolidated checkpoint of every completed step"
        }
    }
}
