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
        /// Area under the ROC curve, 0...1, where the evaluator scored it.
        public var auc: Double?
        public init(step: Int, epoch: Int? = nil, accuracy: Double? = nil, loss: Double? = nil, auc: Double? = nil) {
            self.step = step
            self.epoch = epoch
            self.accuracy = accuracy
            self.loss = loss
            self.auc = auc
        }
    }

    /// A worker's ring: bytes on its two links since this process started, and the gradient
    /// compression its ring uses.
    public struct Ring: Sendable, Equatable {
        /// Frame bytes (headers and payloads) sent to the successor and received from the predecessor.
        public var bytesSent = 0
        public var bytesReceived = 0
        /// `gradient_compression` as configured (`auto`, `none`, `bf16`, `powersgd`), and the
        /// method the current ring uses (what `auto` resolved to).
        public var requestedCompression = ""
        public var compression = ""
        /// Wall time of each step's ring all-reduce, overlapped part included (the
        /// communication; `allReduceSeconds` is the part the training thread waited for).
        public var communicationSeconds = Histogram()
        public init() {}
    }

    /// What an evaluator adds: checkpoints fetched and how long each evaluation took.
    public struct Evaluator: Sendable, Equatable {
        public var checkpointsFetchedTotal = 0
        /// Wall time of each evaluation (decode, validation and test predictions), in seconds.
        public var evaluationSeconds = Histogram(bounds: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600])
        public init() {}
    }

    /// `coordinator`, `train`, `worker`, `evaluator`.
    public var role: String
    /// A worker's rank in the current generation (nil: not a worker, or no rank yet).
    public var rank: Int?
    /// `starting`, `waiting`, `forming`, `training`, `stopped`.
    public var phase = "starting"
    /// Ready for work (`/readyz` answers 200): a coordinator once its data is loaded and its
    /// control port listens, a single-process run once its data is loaded and it trains, a
    /// worker while it is in a formed ring with its data, an evaluator once admitted with its
    /// data.
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
    /// A worker's ring traffic (nil for other roles).
    public var ring: Ring?
    /// An evaluator's own figures (nil for other roles).
    public var evaluator: Evaluator?

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

    /// A worker's snapshot before it has a rank: its ring figures start at zero.
    public static func worker() -> StatusSnapshot {
        var s = StatusSnapshot(role: "worker")
        s.ring = Ring()
        s.allReduceSeconds = Histogram()
        return s
    }

    /// An evaluator's snapshot before its first evaluation.
    public static func evaluator() -> StatusSnapshot {
        var s = StatusSnapshot(role: "evaluator")
        s.evaluator = Evaluator()
        return s
    }
}
