import Randomness

/// The order in which an epoch visits the training set.
public enum EpochOrder {
    /// A permutation of `0..<count` that depends only on `seed` and `epoch` (stream "shuffle",
    /// index `epoch`), never on the number of workers or threads.
    public static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var rng = SplitMix64(seed: seed, stream: "shuffle", UInt64(epoch))
        return shuffledIndices(count: count, using: &rng)
    }
}
