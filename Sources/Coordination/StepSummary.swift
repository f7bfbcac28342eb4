/// The cluster's view of one step, emitted once every rank of the generation reported it.
public struct StepSummary: Sendable, Equatable {
    public struct RankTiming: Sendable, Equatable {
        public var rank: Int
        public var computeSeconds: Double
        public var allReduceWaitSeconds: Double
    }

    public var generation: UInt64
    public var step: Int
    public var epoch: Int
    /// Loss over the global batch (each rank's mean weighted by its sample count).
    public var meanLoss: Double
    /// Accuracy over the global batch, weighted by sample count.
    public var meanAccuracy: Double
    /// Samples in the global batch.
    public var samples: Int
    /// Global batch samples divided by the slowest rank's compute + wait seconds.
    public var imagesPerSecond: Double
    /// One entry per rank, in rank order.
    public var perRank: [RankTiming]
    /// The rank with the largest compute time: the one the others wait for.
    public var slowestRank: Int
}
