import Compression
import Dataset
import Explanation
import Model
import Signals

/// Everything that defines a training run. Read from a YAML file (snake_case keys), then
/// overridden by command-line flags; `validate()` lists every problem at once.
public struct TrainingConfig: Sendable, Equatable, Codable {
    /// `cnn2d` or `cnn2d-ext`.
    public var model = "cnn2d"
    /// Width of CNN2D's hidden dense layer: the paper uses 32, 64, 128 and 4096.
    public var dense = 32
    /// Filters of the first and the second convolution (both models; the paper's: 32 and 64).
    public var conv1Filters = ConvolutionWidths.paper.first
    public var conv2Filters = ConvolutionWidths.paper.second
    public var epochs = 20
    /// The global batch: images per optimizer step, whatever the number of workers.
    public var batchSize = 32
    public var learningRate: Float = 1e-3
    /// `constant` (Keras's plain recipe) or `cosine` (decay to `minLearningRateFraction` of the
    /// rate over all epochs, after `warmupEpochs` of linear warm-up).
    public var schedule = "cosine"
    public var warmupEpochs: Double = 0
    public var minLearningRateFraction: Float = 0.02
    public var seed: UInt64 = 0
    /// Compute threads of this process (GEMMs and element-wise kernels).
    public var threads = 2
    /// Part of the training split held back, stratified, to choose the best epoch. 0 disables it
    /// (then the last epoch's model is kept).
    public var validationFraction = 0.1
    /// Random horizontal flips of training images.
    public var augmentFlip = true
    /// Random shifts of training images by up to this many pixels (edge padding).
    public var augmentShift = 2
    /// The extended model's dropout rate after global average pooling (the paper's: 0.5; 0 turns
    /// it off). CNN2D has no dropout layer and ignores it.
    public var dropout = 0.5
    /// Stop after this many epochs without a better validation accuracy; 0 disables.
    public var earlyStoppingPatience = 0
    /// Data folder or packed file; `synthetic` or empty means: generate a synthetic set.
    public var data = ""
    /// A separate test set (folder or packed file): its images give the test metrics, and its
    /// accuracy is logged after every epoch as a monitor (the kept epoch is still chosen on the
    /// validation hold-out). The training data is then used whole, without a test split.
    public var testData = ""
    /// Run folder; empty means `runs/<model>-<time>`.
    public var out = ""
    /// `skip` or `fail` on a corrupt, truncated or non-image file.
    public var badFiles = "skip"
    /// `refuse` or `resize` images that are not 32x32.
    public var wrongSize = "refuse"
    /// A consolidated checkpoint every this many optimizer steps (and at every epoch end);
    /// 0: at epoch ends only.
    public var checkpointEvery = 500
    /// Most recent checkpoints kept in `checkpoints/` (the best is kept in addition).
    public var keepCheckpoints = 3
    /// What "best" means for the kept model and early stopping: a validation metric.
    public var bestMetric = "val_accuracy"
    /// TCP port of the coordinator's HTTP status server (`/healthz`, `/status`, `/metrics`);
    /// 0 turns it off. Not part of the run's identity: processes may differ in it.
    public var statusPort = 0
    /// Seconds a process is given, after SIGTERM or SIGINT, to finish its step and write a final
    /// checkpoint before it exits regardless (see `StopSignal`). Not part of the run's identity.
    public var stopGraceSeconds = StopSignal.defaultGraceSeconds
    /// What a start does with a run folder that already holds checkpoints: `auto` resumes a run
    /// of the same configuration (and exits at once if it finished), `never` refuses the folder.
    public var resume = ResumePolicy.auto.rawValue

    // Cluster transport (coordinator and workers; the single process ignores these). Paths of key
    // files made by `cifake keygen`; each role reads only the keys it needs.
    /// `curve` (the default: every control and ring connection authenticated and encrypted with
    /// libzmq's CURVE) or `plain` (unauthenticated, unencrypted TCP; each role warns when it starts).
    public var transportSecurity = "curve"
    /// The coordinator's public key file: workers need it (they trust only this coordinator); on
    /// the coordinator it is optional and checked against its secret key.
    public var coordinatorPublicKey = ""
    /// The coordinator's secret key file (mode 0600; coordinator only).
    public var coordinatorSecretKey = ""
    /// A worker's public key file: optional, checked against the worker's secret key.
    public var workerPublicKey = ""
    /// A worker's secret key file (mode 0600; worker only).
    public var workerSecretKey = ""
    /// The worker public keys the coordinator accepts: a folder of `*.key` files, or one file of
    /// Z85 keys, one a line (`#` starts a comment). Coordinator only.
    public var authorizedKeys = ""
    /// How gradients travel between workers: `none` (exact Float32), `bf16`, `powersgd` or
    /// `auto` (chosen when the ring forms from its measured speed; see `GradientCompression`).
    public var gradientCompression = GradientCompression.auto.rawValue
    /// PowerSGD's rank: the approximation's number of factors per weight matrix.
    public var compressionRank = 4

    // Scheduled retraining (`cifake retrain`; `cifake train` ignores these).
    /// The model registry folder: every candidate, the promotion history, the `promoted` pointer
    /// and the lock. Required by `cifake retrain`.
    public var registry = ""
    /// What decides a promotion, on the fixed evaluation set: `accuracy`, `f1` or `auc` (higher
    /// is better) or `log_loss` (lower is better). See `PromotionRule`.
    public var promotionMetric = "accuracy"
    /// How much better the candidate must be: promoted when candidate >= promoted + margin
    /// (candidate <= promoted - margin for `log_loss`). 0: a tie promotes; negative: tolerates
    /// a regression of that size (e.g. to prefer a model trained on newer data).
    public var promotionMargin = 0.0
    /// The fixed evaluation set (folder or packed file; a Kaggle-layout folder's `test/`, a
    /// REAL/FAKE folder whole). Empty: `test_data`, else the test folder of `data`.
    public var evaluationData = ""

    // The report's explanations (see `ExplanationSettings`).
    /// `gradcam` (the paper's), `gradcam++`, `hirescam` or `layercam`.
    public var explainMethod = ExplanationSettings.defaultMethod.rawValue
    /// The class each gallery map explains: `predicted`, `fake` or `real`.
    public var explainTarget = ExplanationTarget.predicted.rawValue
    /// `per-image` (each map to its own maximum) or `fixed` (one scale for the whole gallery).
    public var explainScale = HeatmapScale.perImage.rawValue

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, dense
        case conv1Filters = "conv1_filters"
        case conv2Filters = "conv2_filters"
        case epochs
        case batchSize = "batch_size"
        case learningRate = "learning_rate"
        case schedule
        case warmupEpochs = "warmup_epochs"
        case minLearningRateFraction = "min_learning_rate_fraction"
        case seed, threads
        case validationFraction = "validation_fraction"
        case augmentFlip = "augment_flip"
        case augmentShift = "augment_shift"
        case dropout
        case earlyStoppingPatience = "early_stopping_patience"
        case data
        case testData = "test_data"
        case out
        case badFiles = "bad_files"
        case wrongSize = "wrong_size"
        case checkpointEvery = "checkpoint_every"
        case keepCheckpoints = "keep_checkpoints"
        case bestMetric = "best_metric"
        case statusPort = "status_port"
        case stopGraceSeconds = "stop_grace_seconds"
        case resume
        case transportSecurity = "transport_security"
        case coordinatorPublicKey = "coordinator_public_key"
        case coordinatorSecretKey = "coordinator_secret_key"
        case workerPublicKey = "worker_public_key"
        case workerSecretKey = "worker_secret_key"
        case authorizedKeys = "authorized_keys"
        case gradientCompression = "gradient_compression"
        case compressionRank = "compression_rank"
        case registry
        case promotionMetric = "promotion_metric"
        case promotionMargin = "promotion_margin"
        case evaluationData = "evaluation_data"
        case explainMethod = "explain_method"
        case explainTarget = "explain_target"
        case explainScale = "explain_scale"
    }

    public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }

    /// Decodes with the defaults above for every key the file leaves out.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingConfig()
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? d.model
        dense = try c.decodeIfPresent(Int.self, forKey: .dense) ?? d.dense
        conv1Filters = try c.decodeIfPresent(Int.self, forKey: .conv1Filters) ?? d.conv1Filters
        conv2Filters = try c.decodeIfPresent(Int.self, forKey: .conv2Filters) ?? d.conv2Filters
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? d.epochs
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? d.learningRate
        schedule = try c.decodeIfPresent(String.self, forKey: .schedule) ?? d.schedule
        warmupEpochs = try c.decodeIfPresent(Double.self, forKey: .warmupEpochs) ?? d.warmupEpochs
        minLearningRateFraction = try c.decodeIfPresent(Float.self, forKey: .minLearningRateFraction) ?? d.minLearningRateFraction
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? d.threads
        validationFraction = try c.decodeIfPresent(Double.self, forKey: .validationFraction) ?? d.validationFraction
        augmentFlip = try c.decodeIfPresent(Bool.self, forKey: .augmentFlip) ?? d.augmentFlip
        augmentShift = try c.decodeIfPresent(Int.self, forKey: .augmentShift) ?? d.augmentShift
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? d.dropout
        earlyStoppingPatience = try c.decodeIfPresent(Int.self, forKey: .earlyStoppingPatience) ?? d.earlyStoppingPatience
        data = try c.decodeIfPresent(String.self, forKey: .data) ?? d.data
        testData = try c.decodeIfPresent(String.self, forKey: .testData) ?? d.testData
        out = try c.decodeIfPresent(String.self, forKey: .out) ?? d.out
        badFiles = try c.decodeIfPresent(String.self, forKey: .badFiles) ?? d.badFiles
        wrongSize = try c.decodeIfPresent(String.self, forKey: .wrongSize) ?? d.wrongSize
        checkpointEvery = try c.decodeIfPresent(Int.self, forKey: .checkpointEvery) ?? d.checkpointEvery
        keepCheckpoints = try c.decodeIfPresent(Int.self, forKey: .keepCheckpoints) ?? d.keepCheckpoints
        bestMetric = try c.decodeIfPresent(String.self, forKey: .bestMetric) ?? d.bestMetric
        statusPort = try c.decodeIfPresent(Int.self, forKey: .statusPort) ?? d.statusPort
        stopGraceSeconds = try c.decodeIfPresent(Double.self, forKey: .stopGraceSeconds) ?? d.stopGraceSeconds
        resume = try c.decodeIfPresent(String.self, forKey: .resume) ?? d.resume
        transportSecurity = try c.decodeIfPresent(String.self, forKey: .transportSecurity) ?? d.transportSecurity
        coordinatorPublicKey = try c.decodeIfPresent(String.self, forKey: .coordinatorPublicKey) ?? d.coordinatorPublicKey
        coordinatorSecretKey = try c.decodeIfPresent(String.self, forKey: .coordinatorSecretKey) ?? d.coordinatorSecretKey
        workerPublicKey = try c.decodeIfPresent(String.self, forKey: .workerPublicKey) ?? d.workerPublicKey
        workerSecretKey = try c.decodeIfPresent(String.self, forKey: .workerSecretKey) ?? d.workerSecretKey
        authorizedKeys = try c.decodeIfPresent(String.self, forKey: .authorizedKeys) ?? d.authorizedKeys
        gradientCompression = try c.decodeIfPresent(String.self, forKey: .gradientCompression) ?? d.gradientCompression
        compressionRank = try c.decodeIfPresent(Int.self, forKey: .compressionRank) ?? d.compressionRank
        registry = try c.decodeIfPresent(String.self, forKey: .registry) ?? d.registry
        promotionMetric = try c.decodeIfPresent(String.self, forKey: .promotionMetric) ?? d.promotionMetric
        promotionMargin = try c.decodeIfPresent(Double.self, forKey: .promotionMargin) ?? d.promotionMargin
        evaluationData = try c.decodeIfPresent(String.self, forKey: .evaluationData) ?? d.evaluationData
        explainMethod = try c.decodeIfPresent(String.self, forKey: .explainMethod) ?? d.explainMethod
        explainTarget = try c.decodeIfPresent(String.self, forKey: .explainTarget) ?? d.explainTarget
        explainScale = try c.decodeIfPresent(String.self, forKey: .explainScale) ?? d.explainScale
    }

    /// Most epochs (and early-stopping patience) accepted.
    public static let maximumEpochs = 100_000
    /// Most steps between checkpoints accepted.
    public static let maximumSteps = 1 << 31

    /// Every impossible value, each naming its key, what was found and what is expected.
    /// Every number has a range: nothing read from a file, the environment or a flag is used to
    /// size an allocation or a loop before it passed here.
    public func problems() -> [String] {
        var p: [String] = []
        if !["cnn2d", "cnn2d-ext"].contains(model) { p.append("model: found '\(model)', expected 'cnn2d' or 'cnn2d-ext'") }
        if !(1...Architecture.maximumDense).contains(dense) {
            p.append("dense: found \(dense), expected 1...\(Architecture.maximumDense) (paper: 32, 64, 128, 4096)")
        }
        for (key, filters) in [("conv1_filters", conv1Filters), ("conv2_filters", conv2Filters)] where !ConvolutionWidths.range.contains(filters) {
            p.append("\(key): found \(filters), expected \(ConvolutionWidths.range.lowerBound)...\(ConvolutionWidths.range.upperBound) (the paper's: 32 and 64)")
        }
        if !(1...Self.maximumEpochs).contains(epochs) { p.append("epochs: found \(epochs), expected 1...\(Self.maximumEpochs)") }
        if batchSize <= 0 || batchSize > 8192 { p.append("batch_size: found \(batchSize), expected 1...8192") }
        if !(learningRate > 0 && learningRate < 1) { p.append("learning_rate: found \(learningRate), expected a value in (0, 1)") }
        if !["constant", "cosine"].contains(schedule) { p.append("schedule: found '\(schedule)', expected 'constant' or 'cosine'") }
        if !(warmupEpochs >= 0) || warmupEpochs >= Double(max(epochs, 1)) { p.append("warmup_epochs: found \(warmupEpochs), expected 0 <= warmup < epochs (\(epochs))") }
        if !(minLearningRateFraction >= 0 && minLearningRateFraction <= 1) { p.append("min_learning_rate_fraction: found \(minLearningRateFraction), expected 0...1") }
        if threads < 1 || threads > 256 { p.append("threads: found \(threads), expected 1...256") }
        if !(validationFraction >= 0 && validationFraction < 0.9) { p.append("validation_fraction: found \(validationFraction), expected 0 <= fraction < 0.9") }
        if augmentShift < 0 || augmentShift > 8 { p.append("augment_shift: found \(augmentShift), expected 0...8 pixels") }
        if !(dropout >= 0 && dropout < 1) { p.append("dropout: found \(dropout), expected a rate 0 <= rate < 1 (the paper's: 0.5; 0: off)") }
        if !(0...Self.maximumEpochs).contains(earlyStoppingPatience) {
            p.append("early_stopping_patience: found \(earlyStoppingPatience), expected 0 (off) ...\(Self.maximumEpochs)")
        }
        if !["skip", "fail"].contains(badFiles) { p.append("bad_files: found '\(badFiles)', expected 'skip' or 'fail'") }
        if !["refuse", "resize"].contains(wrongSize) { p.append("wrong_size: found '\(wrongSize)', expected 'refuse' or 'resize'") }
        if !(0...Self.maximumSteps).contains(checkpointEvery) {
            p.append("checkpoint_every: found \(checkpointEvery), expected 0 (epoch ends only) or a number of steps up to \(Self.maximumSteps)")
        }
        if !(1...10_000).contains(keepCheckpoints) { p.append("keep_checkpoints: found \(keepCheckpoints), expected 1...10000") }
        if Metric(validationName: bestMetric) == nil {
            p.append("best_metric: found '\(bestMetric)', expected one of \(Metric.validationNames.map { "'\($0)'" }.joined(separator: ", "))")
        }
        if statusPort < 0 || statusPort > 65535 { p.append("status_port: found \(statusPort), expected 0 (off) or a TCP port 1...65535") }
        if !(stopGraceSeconds >= 1 && stopGraceSeconds <= 3600) {
            p.append("stop_grace_seconds: found \(stopGraceSeconds), expected 1...3600 seconds between SIGTERM and the forced exit")
        }
        if ResumePolicy(rawValue: resume) == nil {
            p.append("resume: found '\(resume)', expected 'auto' (continue a run of the same configuration in the run folder) or 'never' (refuse a folder holding checkpoints)")
        }
        if !["curve", "plain"].contains(transportSecurity) {
            p.append("transport_security: found '\(transportSecurity)', expected 'curve' (authenticated, encrypted) or 'plain' (explicitly unprotected TCP)")
        }
        if GradientCompression(rawValue: gradientCompression) == nil {
            p.append("gradient_compression: found '\(gradientCompression)', expected one of \(GradientCompression.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))")
        }
        if compressionRank < 1 || compressionRank > 256 { p.append("compression_rank: found \(compressionRank), expected 1...256") }
        if Metric(promotionName: promotionMetric) == nil {
            p.append("promotion_metric: found '\(promotionMetric)', expected one of \(Metric.promotionNames.map { "'\($0)'" }.joined(separator: ", "))")
        }
        if !promotionMargin.isFinite || abs(promotionMargin) > 1e6 {
            p.append("promotion_margin: found \(promotionMargin), expected a finite number (0: a tie promotes)")
        }
        p += ExplanationSettings.parse(method: explainMethod, target: explainTarget, scale: explainScale).problems
        return p
    }

    /// The report's explanation settings (valid after `validated()`).
    public var explanation: ExplanationSettings {
        ExplanationSettings.parse(method: explainMethod, target: explainTarget, scale: explainScale).settings
    }

    /// `gradient_compression` as a value (valid after `validated()`).
    public var compression: GradientCompression { GradientCompression(rawValue: gradientCompression) ?? .auto }

    public func validated() throws(ConfigError) -> TrainingConfig {
        let p = problems()
        guard p.isEmpty else { throw .invalid(source: "configuration", problems: p) }
        return self
    }

    public var architecture: Architecture {
        (try? Architecture(model: model, dense: dense, convolutions: convolutions)) ?? .cnn2d(dense: 32)
    }

    /// `conv1_filters` and `conv2_filters`.
    public var convolutions: ConvolutionWidths { ConvolutionWidths(first: conv1Filters, second: conv2Filters) }

    public var augmentation: Augmentation {
        Augmentation(horizontalFlip: augmentFlip, maxShift: augmentShift)
    }

    public var loadOptions: LoadOptions {
        LoadOptions(badFiles: badFiles == "fail" ? .fail : .skip, wrongSize: wrongSize == "resize" ? .resize : .refuse,
                    splitSeed: seed, threads: threads)
    }
}

public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case invalid(source: String, problems: [String])
    case unreadable(source: String, detail: String)

    public var description: String {
        switch self {
        case .invalid(let source, let problems):
            "\(source) has \(problems.count) problem\(problems.count == 1 ? "" : "s"):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        case .unreadable(let source, let detail):
            "\(source): \(detail)"
        }
    }
}

extension TrainingConfig {
    /// The settings that belong to one launch rather than to the run: transport keys and the
    /// status port. A resumed run takes these from the new launch and everything else from the
    /// configuration it recorded.
    public static let launchKeys = ["transport_security", "coordinator_public_key", "coordinator_secret_key",
                                    "worker_public_key", "worker_secret_key", "authorized_keys", "status_port", "stop_grace_seconds", "resume"]

    public mutating func takeLaunchSettings(from other: TrainingConfig) {
        for key in Self.launchKeys { take(key, from: other) }
    }
}
