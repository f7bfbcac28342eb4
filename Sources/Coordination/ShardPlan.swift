/// How one global batch is split across the ranks, without duplicates or padding.
///
/// The global sample order depends only on the seed and epoch; each rank takes a contiguous
/// slice of every global batch, so N workers see exactly the samples one worker would.
public enum ShardPlan {
    /// Positions within the global batch that `rank` processes:
    /// `rank*B/N ..< (rank+1)*B/N` with floor division. Slices of consecutive ranks touch, and
    /// together cover `0..<globalBatch` exactly once; sizes differ by at most one, and a rank's
    /// slice is empty when `globalBatch < worldSize`.
    ///
    /// Gradients must therefore be summed over samples on each rank and divided by the global
    /// batch size after the all-reduce, not averaged per rank.
    public static func slice(globalBatch: Int, worldSize: Int, rank: Int) -> Range<Int> {
        precondition(worldSize > 0 && rank >= 0 && rank < worldSize && globalBatch >= 0,
                     "ShardPlan.slice: need 0 <= rank < worldSize and globalBatch >= 0, got rank \(rank), worldSize \(worldSize), globalBatch \(globalBatch)")
        return (rank * globalBatch / worldSize) ..< ((rank + 1) * globalBatch / worldSize)
    }
}
