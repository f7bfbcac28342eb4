import Dataset
import Evaluation
import Foundation
import Model
import Signals
import Storage

/// One scheduled retraining run (`cifake retrain`): under the registry's lock, warm-start from
/// the promoted model, train on the data as it is now (`TrainingRun`, into a new candidate
/// folder), score the candidate and the promoted model on the same fixed evaluation set, and
/// promote the candidate if `PromotionRule` says so. Every outcome is recorded in the
/// registry (see `ModelRegistry`); the promoted pointer changes only on a promotion.
public struct Retraining {
    public var config: TrainingConfig
    public var progress: ProgressReporter
    public var verbose: Bool
    /// SIGTERM/SIGINT: the candidate's training stops between steps, the run is recorded as
    /// interrupted (the promoted model unchanged) and ``RetrainingError/stopped(_:)`` is thrown.
    public var stop: StopSignal?
    /// Trains the candidate into `config.out`, from `initialWeights` when given, and returns the
    /// training images it used; nil: this process (`TrainingRun`). `cifake retrain --workers N`
    /// supplies the cluster's launcher. It throws `TrainingStopped` when a stop signal ended it.
    public var trainCandidate: ((_ config: TrainingConfig, _ initialWeights: String?) throws -> Int?)?

    public init(config: TrainingConfig, progress: ProgressReporter = ProgressReporter(), verbose: Bool = false, stop: StopSignal? = nil) {
        self.config = config
        self.progress = progress
        self.verbose = verbose
        self.stop = stop
    }

    public struct Outcome: Sendable {
        public var record: RetrainingRecord
        public var promoted: Bool { record.decision == .promoted }
    }

    /// Problems of a configuration for retraining beyond those of training, each naming its key.
    public static func problems(_ config: TrainingConfig) -> [String] {
        var p: [String] = []
        if config.registry.isEmpty {
            p.append("registry: not set; cifake retrain needs the model registry folder (candidates, history, the promoted pointer)")
        }
        if config.data.isEmpty || config.data == "synthetic" {
            p.append("data: found '\(config.data)', expected the data folder or packed file that new images are added to")
        }
        return p
    }

    /// Runs once. Returns the decision (promoted or kept); throws ``RetrainingError`` otherwise.
    public func run() throws(RetrainingError) -> Outcome {
        var config = self.config
        let problems = config.problems() + Self.problems(config)
        guard problems.isEmpty else { throw .invalid(ConfigError.invalid(source: "configuration", problems: problems)) }
        if !config.out.isEmpty {
            progress.log("note: out (\(config.out)) is ignored: every candidate goes to \(config.registry)/candidates/")
        }
        let registry = ModelRegistry(path: config.registry)
        let started = Date()
        let lock: FileLock
        do {
            try registry.create()
            lock = try FileLock.acquire(registry.lockFile, holder: LockHolder.thisProcess(since: started))
        } catch let error as FileLockError {
            if case .held(let path, let holder) = error {
                throw .busy("another retraining run (\(holder.isEmpty ? "just starting" : holder)) holds \(path); this one does nothing and exits")
            }
            throw .failed("\(error)")
        } catch {
            throw .failed("\(error)")
        }
        defer { lock.release() }
        progress.log("registry: \(registry.path) (lock held)")
        noteInterruptedCandidates(registry)

        let rule = PromotionRule(metric: Metric(promotionName: config.promotionMetric) ?? .accuracy, margin: config.promotionMargin)
        let name = registry.newCandidateName(now: started)
        let folder = registry.candidateFolder(name)
        var record = RetrainingRecord(candidate: name, decision: .failed, reason: "", metric: rule.metric.promotionName, margin: rule.margin,
                                      started: LockHolder.timestamp(started), finished: "")
        do {
            try AtomicFile.makeFolder(folder)
            progress.log("candidate: \(folder)")
            let promoted = try registry.promoted()
            record.promotedBefore = promoted
            record.promotedAfter = promoted

            // The fixed set and the promoted model's score on it, before hours of training: a
            // missing set or an unreadable model fails now.
            let (evaluation, evaluationSource) = try loadEvaluationSet(config)
            record.evaluationData = evaluationSource
            record.evaluationImages = evaluation.count
            record.evaluationDigest = String(evaluation.digest, radix: 16)
            var promotedReport: ClassificationReport?
            if let promoted {
                promotedReport = try evaluate(registry.modelFile(promoted), on: evaluation)
                record.promotedValue = promotedReport.flatMap(rule.metric.value)
                progress.log("promoted model \(promoted): \(rule.metric.promotionName) \(record.promotedValue.map { String(format: "%.6f", $0) } ?? "undefined") on the evaluation set")
            } else {
                progress.log("no promoted model yet: training from scratch")
            }

            config.out = folder
            let initial = promoted.flatMap { warmStartModel(registry.modelFile($0), config: config) }
            record.warmStartFrom = initial.map { _ in promoted! }
            if let trainCandidate {
                record.trainImages = try trainCandidate(config, initial)
            } else {
                record.trainImages = try TrainingRun(config: config, progress: progress, verbose: verbose, initialWeights: initial, stop: stop).run().trainImages
            }

            let candidateReport = try evaluate(registry.modelFile(name), on: evaluation)
            guard let candidateValue = rule.metric.value(of: candidateReport) else {
                throw RetrainingError.failed("\(rule.metric.promotionName) is undefined on the evaluation set \(evaluationSource) (it holds one class only); choose another promotion_metric or set")
            }
            record.candidateValue = candidateValue
            if promoted != nil && record.promotedValue == nil {
                throw RetrainingError.failed("\(rule.metric.promotionName) of the promoted model is undefined on the evaluation set \(evaluationSource)")
            }
            let decision = rule.decide(candidate: candidateValue, promoted: record.promotedValue)
            record.decision = decision.promote ? .promoted : .kept
            record.reason = decision.reason
            if decision.promote { record.promotedAfter = name }
            record.finished = LockHolder.timestamp(Date())
            // The decision is on disk before the pointer moves; the pointer before the history line.
            try registry.writeEvaluation(record, candidateMetrics: JSONEncoder().encode(candidateReport),
                                         promotedMetrics: promotedReport.map { try JSONEncoder().encode($0) })
            if decision.promote { try registry.promote(name) }
            try registry.appendHistory(record)
            // The candidate is decided and never resumed: its checkpoints are dead weight.
            try? FileManager.default.removeItem(atPath: "\(folder)/checkpoints")
            progress.log("\(record.decision.rawValue): \(decision.reason); promoted is \(record.promotedAfter ?? "-")")
            return Outcome(record: record)
        } catch {
            let retrainingError = error as? RetrainingError
            let stopped = error as? TrainingStopped
            let message = stopped.map { "stopped by \($0.signal) after step \($0.step); the promoted model is unchanged and the next run trains a new candidate" }
                ?? retrainingError.map(\.message) ?? "\(error)"
            record.decision = stopped == nil ? .failed : .interrupted
            record.reason = message
            record.promotedAfter = record.promotedBefore
            record.finished = LockHolder.timestamp(Date())
            do {
                if FileManager.default.fileExists(atPath: folder) {
                    try registry.writeEvaluation(record, candidateMetrics: nil, promotedMetrics: nil)
                }
                try registry.appendHistory(record)
            } catch {
                progress.log("warning: could not record the failure in \(registry.path): \(error)")
            }
            if case .invalid(let problem)? = retrainingError { throw .invalid(problem) }
            if stopped != nil { throw .stopped("candidate \(name): \(message)") }
            throw .failed("candidate \(name): \(message)")
        }
    }

    /// Candidates left without `evaluation.json` by a run whose process died (the lock is ours,
    /// so none is still running): recorded once as interrupted, their folders left as they are.
    func noteInterruptedCandidates(_ registry: ModelRegistry) {
        for name in registry.candidates() where !FileManager.default.fileExists(atPath: registry.evaluationFile(name)) {
            let now = LockHolder.timestamp(Date())
            var record = RetrainingRecord(candidate: name, decision: .interrupted,
                                          reason: "its process ended before a decision (crash or kill); noticed by the next run",
                                          metric: config.promotionMetric, margin: config.promotionMargin, started: "", finished: now)
            record.promotedBefore = try? registry.promoted()
            record.promotedAfter = record.promotedBefore
            do {
                try registry.writeEvaluation(record, candidateMetrics: nil, promotedMetrics: nil)
                try registry.appendHistory(record)
                progress.log("candidate \(name) was interrupted (no decision); recorded as such")
            } catch {
                progress.log("warning: could not record interrupted candidate \(name): \(error)")
            }
        }
    }

    /// The fixed evaluation set: `evaluation_data`, else `test_data` (a Kaggle-layout folder's
    /// `test/`, a REAL/FAKE folder or packed file whole), else `data`'s own test folder. A test
    /// split held out at random from `data` is refused: it moves as images are added, and
    /// images the promoted model trained on could land in it.
    func loadEvaluationSet(_ config: TrainingConfig) throws -> (ImageSet, String) {
        var options = config.loadOptions
        if let path = [config.evaluationData, config.testData].first(where: { !$0.isEmpty }) {
            options.holdOutFraction = 1
            return (try DataLoading.load(path, options: options, progress: progress).test, path)
        }
        let dataset = try DataLoading.load(config.data, options: options, progress: progress)
        guard dataset.testOrigin == .folder else {
            throw RetrainingError.invalid(ConfigError.invalid(source: "configuration", problems: [
                "evaluation_data: not set, and \(config.data) has no test folder (its test split would be \(dataset.testOrigin), "
                + "which changes as images are added); set evaluation_data (or test_data) to a fixed evaluation set",
            ]))
        }
        return (dataset.test, "\(config.data) (test split)")
    }

    /// A model file's report on `set`.
    func evaluate(_ modelPath: String, on set: ImageSet) throws -> ClassificationReport {
        let bytes = try AtomicFile.read(modelPath)
        let (architecture, _) = try Network.architecture(ofModelFile: bytes, source: modelPath)
        let network = Network(architecture: architecture, maxBatch: 256, threads: config.threads)
        try network.loadModelFile(bytes, source: modelPath)
        return try ClassificationReport(probabilities: Trainer.predict(set, with: network), labels: set.labels)
    }

    /// The promoted model file when the candidate can start from it (same architecture); nil,
    /// with a log line, when the configuration asks for another architecture.
    func warmStartModel(_ path: String, config: TrainingConfig) -> String? {
        guard let bytes = try? AtomicFile.read(path), let (architecture, _) = try? Network.architecture(ofModelFile: bytes, source: path) else {
            return path  // unreadable: let the training run say so
        }
        guard architecture == config.architecture else {
            progress.log("no warm start: the promoted model is \(architecture.displayName), the configuration asks for \(config.architecture.displayName); training from scratch")
            return nil
        }
        return path
    }
}

/// Why a retraining run ended without a decision; each maps to an exit code of `cifake retrain`.
public enum RetrainingError: Error, CustomStringConvertible {
    /// The configuration is not usable for retraining (exit 2).
    case invalid(ConfigError)
    /// Another retraining run holds the registry's lock (exit 4).
    case busy(String)
    /// Training, evaluation or the registry failed; the promoted model is unchanged (exit 1).
    case failed(String)
    /// A stop signal ended the run; recorded as interrupted, the promoted model unchanged (exit 75).
    case stopped(String)

    public var message: String {
        switch self {
        case .invalid(let error): error.description
        case .busy(let text), .failed(let text), .stopped(let text): text
        }
    }

    public var description: String { message }
}
