/// One line of the coordinator's step log (`cifake coordinator --step-log FILE`, JSON Lines): a
/// step every rank completed, stamped when the coordinator learned of it. Every step gets a line,
/// unlike the progress lines (at most one a second), so a reader can time any window of steps.
///
/// ```
/// {"time":1767225600.25,"generation":1,"step":7,"epoch":0,"samples":256,"loss":0.69,"accuracy":0.52,
///  "images_per_second":801.3,"slowest_rank":1,"ranks":[{"rank":0,"compute_seconds":0.16,
///  "all_reduce_wait_seconds":0.15,"ring_send_busy_seconds":0.29},...]}
/// ```
public struct StepLogEntry: Codable, Sendable, Equatable {
    public struct Rank: Codable, Sendable, Equatable {
        public var rank: Int
        /// Forward, backward and update, seconds.
        public var computeSeconds: Double
        /// Waiting for the ring all-reduce once compute was done (what overlap did not hide), seconds.
        public var allReduceWaitSeconds: Double
        /// Seconds the link to the successor had data in flight (kernel TCP statistics); nil: unknown.
        public var ringSendBusySeconds: Double?

        public init(rank: Int, computeSeconds: Double, allReduceWaitSeconds: Double, ringSendBusySeconds: Double? = nil) {
            self.rank = rank
            self.computeSeconds = computeSeconds
            self.allReduceWaitSeconds = allReduceWaitSeconds
            self.ringSendBusySeconds = ringSendBusySeconds
        }

        enum CodingKeys: String, CodingKey {
            case rank
            case computeSeconds = "compute_seconds"
            case allReduceWaitSeconds = "all_reduce_wait_seconds"
            case ringSendBusySeconds = "ring_send_busy_seconds"
        }
    }

    /// Seconds since the Unix epoch when the last rank's report of the step arrived.
    public var time: Double
    public var generation: UInt64
    /// Global step index (0-based).
    public var step: Int
    public var epoch: Int
    /// Images in the global batch.
    public var samples: Int
    public var loss: Double
    public var accuracy: Double
    /// The global batch over the slowest rank's compute + wait (the step's own rate, without the
    /// time between steps).
    public var imagesPerSecond: Double
    public var slowestRank: Int
    /// In rank order.
    public var ranks: [Rank]

    public init(summary s: StepSummary, time: Double) {
        self.time = time
        generation = s.generation
        step = s.step
        epoch = s.epoch
        samples = s.samples
        loss = s.meanLoss
        accuracy = s.meanAccuracy
        imagesPerSecond = s.imagesPerSecond
        slowestRank = s.slowestRank
        ranks = s.perRank.map {
            Rank(rank: $0.rank, computeSeconds: $0.computeSeconds, allReduceWaitSeconds: $0.allReduceWaitSeconds,
                 ringSendBusySeconds: $0.ringSendBusySeconds)
        }
    }

    enum CodingKeys: String, CodingKey {
        case time, generation, step, epoch, samples, loss, accuracy
        case imagesPerSecond = "images_per_second"
        case slowestRank = "slowest_rank"
        case ranks
    }
}
