/// What a process shows on `/status` and `/metrics`: a plain value, copied out of a
/// ``StatusBoard`` for each request. Nil means "not known yet" (JSON null; no metric sample).
/// Steps and epochs are numbered as a person counts them: step 1 is the first, and step N's
/// checkpoint is `step-0000000N` (N steps completed).
public struct StatusSnapshot: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var rank: Int
        public var nodeID: String
        public var host: String
        public init(rank: Int, nodeID: String, host: String) {
            self.rank = rank
            self.nodeID = nodeID
            self.host = host
        }
    }

    /// One rank's share of the last step, in seconds.
    public struct RankTiming: Sendable, Equatable {
        public var rank: Int
        public var computeSeconds: Double
        public var allReduceWaitSeconds: Double
        public init(rank: Int, computeSeconds: Double, allReduceWaitSeconds: Double) {
            self.rank = rank
            self.computeSeconds = computeSeconds
            self.allReduceWaitSeconds = allReduceWaitSeconds
        }
    }

    public struct Checkpoint: Sendable, Equatable {
        public var step: Int
        /// File written, when the process knows it.
        public var path: String?
        public init(step: Int, path: String? = nil) {
            self.step = step
            self.path = path
        }
    }

    public struct Evaluation: Sendable, Equatable {
        /// Step of the weights evaluated.
        public var step: Int
        public var epoch: Int?
        /// Fraction correct, 0...1.
        public var accuracy: Double?
        public var loss: Double?
        public init(step: Int, epoch: Int? = nil, accuracy: Double? = nil, loss: Double? = nil) {
            self.step = step
            self.epoch = epoch
            self.accuracy = accuracy
            self.loss = loss
        }
    }

    /// `coordinator`, `evaluator`, ...
    public var role: String
    /// `starting`, `waiting`, `forming`, `training`, `stopped`.
    public var phase = "starting"
    /// Ready for work (`/readyz` answers 200): a coordinator once its data is loaded and its
    /// control port listens, a single-process run once its data is loaded and it trains.
    public var ready = false
    /// Membership generation.
    public var generation: UInt64 = 0
    /// Workers in rank order.
    public var members: [Member] = []
    /// Last step every rank completed (1-based: the number of steps completed).
    public var step: Int?
    public var totalSteps: Int?
    /// Epoch of `step` (1-based), and the run's epochs.
    public var epoch: Int?
    public var epochs: Int?
    /// Mean training loss of the last step's global batch.
    public var loss: Double?
    /// Global images per second of the last step (bounded by the slowest rank).
    public var imagesPerSecond: Double?
    /// The rank the others waited for in the last step.
    public var slowestRank: Int?
    public var perRank: [RankTiming] = []
    public var lastCheckpoint: Checkpoint?
    public var lastEvaluation: Evaluation?

    // Counters and histograms since this process started (Prometheus sees a restart as a reset).
    /// Steps completed (by every rank).
    public var stepsTotal = 0
    /// Training images processed (global batches).
    public var imagesTotal = 0
    public var checkpointsTotal = 0
    public var evaluationsTotal = 0
    /// Wall time of each step, from the end of the one before.
    public var stepSeconds = Histogram()
    /// Each rank's compute time in each step (forward, backward, update).
    public var computeSeconds = Histogram()
    /// Each rank's wait in each step's all-reduce; nil for a single process, which has none.
    public var allReduceSeconds: Histogram?

    /// Counts a completed step of `images` images.
    public mutating func countStep(images: Int, stepSeconds seconds: Double?, compute: [Double], allReduce: [Double]?) {
        stepsTotal += 1
        imagesTotal += images
        if let seconds { stepSeconds.observe(seconds) }
        for c in compute { computeSeconds.observe(c) }
        if let allReduce {
            if allReduceSeconds == nil { allReduceSeconds = Histogram() }
            for w in allReduce { allReduceSeconds!.observe(w) }
        }
    }

    public init(role: String) { self.role = role }
}
