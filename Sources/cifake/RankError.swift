import Wire

/// What went wrong between a benchmark's parent (`RankLauncher`) and its rank processes.
enum RankError: Error, CustomStringConvertible {
    /// A rank reported an error of its own.
    case failed(rank: Int, message: String)
    /// A rank process ended with a non-zero status.
    case exited(rank: Int, status: Int32)
    /// Nothing arrived within the deadline.
    case silent(from: String, waitedMilliseconds: Int)
    /// A frame that is not a valid `BenchControl` message (from `rank`, when known).
    case undecodable(rank: Int?, WireError)
    /// A message other than the one the protocol expects at this point.
    case unexpected(rank: Int?, expected: String, found: String)
    /// Replicas that should hold bitwise-identical weights do not.
    case weightsDiffer(rank: Int, steps: Int, checksum: String, otherRank: Int, otherChecksum: String)

    var description: String {
        switch self {
        case .failed(let rank, let message): return "rank \(rank) failed: \(message)"
        case .exited(let rank, let status): return "rank \(rank) exited with status \(status)"
        case .silent(let from, let waited): return "no message from \(from) within \(waited) ms"
        case .undecodable(let rank, let error): return "\(rank.map { "rank \($0): " } ?? "")undecodable benchmark control frame: \(error)"
        case .unexpected(let rank, let expected, let found):
            return "\(rank.map { "rank \($0): " } ?? "")expected \(expected), found \(found)"
        case .weightsDiffer(let rank, let steps, let checksum, let other, let otherChecksum):
            return "rank \(rank): weights differ after \(steps) steps: expected every rank's checksum to be this rank's \(checksum), found \(otherChecksum) on rank \(other)"
        }
    }
}
