/// What each rank reports after completing one training step (after its optimizer update).
public struct StepReport: Sendable, Equatable {
    /// The membership generation the step ran in.
    public var generation: UInt64
    /// Index of the completed step (0-based, global across the run).
    public var step: Int
    public var epoch: Int
    /// Mean loss over this rank's shard of the global batch.
    public var loss: Double
    /// Accuracy over this rank's shard, in [0, 1].
    public var accuracy: Double
    /// Samples in this rank's shard.
    public var samples: Int
    /// Seconds of forward, backward and update on this rank.
    public var computeSeconds: Double
    /// Seconds this rank spent in (waiting on) the ring all-reduce.
    public var allReduceWaitSeconds: Double
    /// Checksum of the flat weight buffer after the update; sent every K steps.
    public var weightChecksum: UInt64?
    /// Seconds the ring link from this rank to its successor had data in flight since the previous
    /// report (the kernel's TCP busy time); nil when unknown (first step, no TCP statistics).
    public var ringSendBusySeconds: Double?

    public init(generation: UInt64, step: Int, epoch: Int = 0, loss: Double, accuracy: Double,
                samples: Int, computeSeconds: Double, allReduceWaitSeconds: Double,
                weightChecksum: UInt64? = nil, ringSendBusySeconds: Double? = nil) {
        self.generation = generation
        self.step = step
        self.epoch = epoch
        self.loss = loss
        self.accuracy = accuracy
        self.samples = samples
        self.computeSeconds = computeSeconds
        self.allReduceWaitSeconds = allReduceWaitSeconds
        self.weightChecksum = weightChecksum
        self.ringSendBusySeconds = ringSendBusySeconds
    }
}
