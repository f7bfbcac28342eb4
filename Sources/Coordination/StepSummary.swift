/// The cluster's view of one step, emitted once every rank of the generation reported it.
public struct StepSummary: Sendable, Equatable {
    public struct RankTiming: Sendable, Equatable {
        public var rank: Int
        public var computeSeconds: Double
        public var allReduceWaitSeconds: Double
        /// Seconds the ring link from this rank to its successor was busy (see
        /// `StepReport.ringSendBusySeconds`); nil when the rank could not tell.
        public var ringSendBusySeconds: Double? = nil
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
    /// The rank the others wait for: the largest `holdUpSeconds`.
    public var slowestRank: Int

    /// How long `rank` holds a synchronous ring step back: its compute, plus half the busy time of
    /// each of its two ring links (from its predecessor, to its successor).
    ///
    /// A ring runs at the pace of its slowest link and every rank ends up waiting about as long
    /// in the all-reduce, so the waits cannot name a slow link; the senders' busy times can. A link
    /// is shared by the two ranks at its ends, hence the halves: a rank whose network is slow
    /// (every link through its host is) collects both halves and stands out, one slow link
    /// between two ranks splits evenly between them, and with fast links this is the compute
    /// time, as before.
    public static func holdUpSeconds(of rank: Int, in perRank: [RankTiming]) -> Double {
        let n = perRank.count
        guard n > 1 else { return perRank.first?.computeSeconds ?? 0 }
        let outgoing = perRank[rank].ringSendBusySeconds ?? 0
        let incoming = perRank[(rank + n - 1) % n].ringSendBusySeconds ?? 0
        return perRank[rank].computeSeconds + (outgoing + incoming) / 2
    }
}
