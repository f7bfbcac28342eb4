import Checkpoints
import Dataset
import Dispatch
import Evaluation
import Foundation
import Kernels
import Model
import Signals
import Status
import Logs
import Storage
import Checksums

/// A whole single-process run, from data folder to run folder:
/// `config.yaml` (what ran), `history.jsonl` (one line per epoch), `model.safetensors` (the
/// kept model: best validation accuracy, or the last epoch without validation) and
/// `metrics.json` (that model on the test split), then `report/index.html` (see `RunReport`).
public struct TrainingRun {
    public var config: TrainingConfig
    public var progress: ProgressReporter
    public var verbose: Bool
    /// A model file (`model.safetensors` of the same architecture) whose weights replace the
    /// seeded initialisation before the first step: a warm start (Adam starts afresh). Only a
    /// new run uses it; a resumed one continues from its checkpoint, which already holds them.
    public var initialWeights: String?
    /// Checked between steps: once it is requested the run writes a checkpoint of the last
    /// completed step and throws ``TrainingStopped``. nil: the run ignores signals' requests.
    public var stop: StopSignal?
    /// Where `/status` and `/metrics` read from (nil: nobody is looking); updated every step.
    public var status: StatusBoard?

    public init(config: TrainingConfig, progress: ProgressReporter = ProgressReporter(), verbose: Bool = false, initialWeights: String? = nil,
                stop: StopSignal? = nil, status: StatusBoard? = nil) {
        self.config = config
        self.progress = progress
        self.verbose = verbose
        self.initialWeights = initialWeights
        self.stop = stop
        self.status = status
    }

    public struct Outcome: Sendable {
        public var runFolder: String
        public var bestEpoch: Int
        public var report: ClassificationReport
        public var history: [EpochRecord]
        /// Images of the training data, the validation hold-out included.
        public var trainImages: Int
        /// `report/index.html`, or nil if the report could not be written.
        public var reportPath: String?
    }

    /// Trains into the run folder `config.out` (default ``defaultFolder(_:configPath:environment:)``),
    /// holding its lock (``RunFolderLock``) throughout. What the folder holds decides how
    /// (``RunFolderPlan``): a new run starts from scratch; with `resume: auto`, a run of the same
    /// configuration continues from its newest intact checkpoint, and a finished one throws
    /// ``RunAlreadyFinished`` without training; another configuration's run is refused
    /// (``RunFolderConflict``).
    public func run() throws -> Outcome {
        var config = try self.config.validated()
        if config.out.isEmpty { config.out = Self.defaultFolder(config) }
        // Locked before anything is written: a second run on the folder changes nothing in it.
        let lock = try RunFolderLock.acquire(config.out)
        defer { lock.release() }
        let plan = try RunFolderPlan.decide(folder: config.out, contents: RunFolderContents.read(config.out), config: config,
                                            policy: ResumePolicy(rawValue: config.resume) ?? .auto)
        switch plan {
        case .fresh:
            let (folder, yaml) = try Self.prepareFolder(config, defaultFolder: config.out)
            return try train(config: config, folder: folder, yaml: yaml, resume: false)
        case .finished:
            throw RunAlreadyFinished(folder: config.out)
        case .resume:
            progress.log("\(config.out) holds checkpoints of this configuration: continuing the run (resume: auto)")
            var recorded = try Self.recordedConfig(folder: config.out)
            recorded.threads = config.threads
            recorded.takeLaunchSettings(from: config)
            let yaml = try String(decoding: AtomicFile.read("\(config.out)/config.yaml"), as: UTF8.self)
            return try train(config: recorded.validated(), folder: config.out, yaml: yaml, resume: true)
        }
    }

    /// Continues an interrupted run from its newest intact checkpoint, with the configuration it
    /// recorded (`threads` from this process's settings). The result equals, bit for bit, that
    /// of an uninterrupted run.
    public static func resume(folder: String, threads: Int?, progress: ProgressReporter = ProgressReporter(), verbose: Bool = false,
                              stop: StopSignal? = nil, status: StatusBoard? = nil) throws -> Outcome {
        var config = try recordedConfig(folder: folder)
        if let threads { config.threads = threads }
        let lock = try RunFolderLock.acquire(folder)
        defer { lock.release() }
        let yaml = try String(decoding: AtomicFile.read("\(folder)/config.yaml"), as: UTF8.self)
        return try TrainingRun(config: config, progress: progress, verbose: verbose, stop: stop, status: status)
            .train(config: config.validated(), folder: folder, yaml: yaml, resume: true)
    }

    /// The configuration a run folder recorded; refuses a finished run.
    public static func recordedConfig(folder: String) throws -> TrainingConfig {
        guard FileManager.default.fileExists(atPath: "\(folder)/config.yaml") else {
            throw ConfigError.unreadable(source: folder, detail: "no config.yaml: not a cifake run folder")
        }
        if FileManager.default.fileExists(atPath: "\(folder)/model.safetensors") {
            throw ConfigError.invalid(source: folder, problems: ["the run is complete (model.safetensors exists); nothing to resume"])
        }
        var config = try ConfigFile.load("\(folder)/config.yaml")
        config.out = folder
        return config
    }

    private func train(config: TrainingConfig, folder: String, yaml: String, resume: Bool) throws -> Outcome {
        progress.log("run folder: \(folder)")
        if verbose { progress.log("kernels: \(Gemm.backendDescription)") }

        let dataset = try loadData(config, folder: folder)
        // provenance.json: this start appended now, completed when the run ends (however it ends).
        let provenance = try Provenance.begin(folder: folder, dataDigest: Hex.string(dataset.digest), data: dataset.root, configuration: yaml)
        var outcome = "failed"
        defer { try? provenance.ended(outcome).write(folder: folder) }
        let (train, validation) = Self.splits(config: config, dataset: dataset)
        guard train.count > 0 else {
            throw ConfigError.invalid(source: dataset.root, problems: [
                "no training images left after the validation hold-out (validation_fraction \(config.validationFraction) of \(dataset.train.count) images)"])
        }
        progress.log("data: train \(train.classCounts), validation \(validation.classCounts), test \(dataset.test.classCounts) (\(dataset.testOrigin))")

        let trainer = Trainer(config: config, train: train)
        let arch = trainer.network.architecture
        progress.log("model: \(arch.displayName), \(arch.parameterCount) parameters; \(config.epochs) epochs of \(trainer.stepsPerEpoch) steps, batch \(config.batchSize), \(config.schedule) learning rate \(config.learningRate), \(config.threads) threads")
        if let initialWeights, !resume {
            try trainer.network.loadModelFile(AtomicFile.read(initialWeights), source: initialWeights)
            progress.log("warm start: initial weights from \(initialWeights)")
        }

        let store = CheckpointStore(runFolder: folder, keep: config.keepCheckpoints)
        let metric = Metric(validationName: config.bestMetric) ?? .accuracy
        let best = FloatBuffer(count: trainer.network.parameters.count)
        var ledger = RunLedger(metric: metric, patience: config.earlyStoppingPatience, stepsPerEpoch: trainer.stepsPerEpoch)
        var savedStep: Int?
        if resume {
            let (checkpoint, _, path) = try store.loadNewestIntact(log: progress.log)
            try trainer.resume(from: checkpoint)
            savedStep = checkpoint.state.step
            do {
                ledger = try RunLedger(progress: checkpoint.state.progress, metric: metric, patience: config.earlyStoppingPatience,
                                       stepsPerEpoch: trainer.stepsPerEpoch)
            } catch { throw CheckpointError.damaged(path, error.detail) }
            if !RunLedger.hasHistory(checkpoint.state.progress) {
                // A checkpoint of an earlier version: its epochs are in history.jsonl.
                ledger.history = try EpochRecord.readHistory("\(folder)/history.jsonl").filter { $0.epoch <= checkpoint.state.epoch }
            }
            if let bestStep = store.pointer("best"), bestStep != checkpoint.state.step,
               let bytes = try? AtomicFile.read(store.path(step: bestStep)), let kept = try? Checkpoint.decode(bytes, source: store.path(step: bestStep)) {
                kept.parameters.withUnsafeBufferPointer { best.pointer.update(from: $0.baseAddress!, count: $0.count) }
            } else {
                best.copy(from: trainer.network.parameters)
            }
            progress.log("resumed from \(path): step \(checkpoint.state.step) (epoch \(checkpoint.state.epoch + 1), step \(checkpoint.state.stepInEpoch + 1) of \(trainer.stepsPerEpoch))")
        }
        var plan = StepPlan(config: config, stepsPerEpoch: trainer.stepsPerEpoch)
        // Early stopping decided before the checkpoint this run resumes from was taken.
        if ledger.shouldStop { plan.finishAfter = trainer.globalStep - 1 }
        // steps.jsonl: cut back to the resumed checkpoint, so no step is recorded twice.
        let stepsFile = try StepsFile(folder: folder, keepingUpTo: savedStep ?? 0)
        var stepRecorder = StepRecorder(totalSteps: plan.totalSteps, stepsPerEpoch: trainer.stepsPerEpoch)
        func record(_ r: StepRecord?) {
            guard let r, let problem = stepsFile.append(r) else { return }
            progress.log("warning: \(problem)")
        }
        status?.update {
            $0.phase = "training"
            $0.ready = true
            $0.totalSteps = plan.totalSteps
            $0.epochs = config.epochs
            if trainer.globalStep > 0 {
                $0.step = trainer.globalStep
                $0.epoch = (trainer.globalStep - 1) / trainer.stepsPerEpoch + 1
            }
        }

        func saveCheckpoint(isBest: Bool) throws {
            // Every step up to the checkpoint recorded and durable before the checkpoint exists.
            record(stepRecorder.flush())
            stepsFile.sync()
            let bytes = trainer.checkpoint(configuration: yaml, progress: ledger.progress).encode()
            let path = try store.save(bytes, step: trainer.globalStep, isBest: isBest)
            savedStep = trainer.globalStep
            status?.update {
                $0.lastCheckpoint = StatusSnapshot.Checkpoint(step: trainer.globalStep, path: path)
                $0.checkpointsTotal += 1
            }
            if verbose || trainer.globalStep % trainer.stepsPerEpoch == 0 { progress.log("checkpoint: \(path)") }
        }
        /// Between steps: on a stop request, the last completed step is saved (unless it is
        /// already) and the run ends.
        func stopIfRequested(epochSeconds: Double) throws {
            guard let request = stop?.request else { return }
            if savedStep != trainer.globalStep {
                ledger.epoch.seconds = epochSeconds
                try saveCheckpoint(isBest: false)
            }
            let stopped = TrainingStopped(signal: request.signal, step: trainer.globalStep, totalSteps: plan.totalSteps,
                                          checkpoint: store.path(step: trainer.globalStep), runFolder: folder)
            progress.log(stopped.description)
            outcome = "stopped"
            throw stopped
        }

        // The epoch's clock: a resumed epoch continues from the checkpoint's seconds (which may
        // exceed this machine's uptime, so they are added to the elapsed time, never subtracted
        // from the clock).
        var epochBegan: UInt64 = 0, secondsBefore = 0.0
        func epochSeconds() -> Double { secondsBefore + Double(DispatchTime.now().uptimeNanoseconds - epochBegan) / 1e9 }
        var order: [Int] = []
        var lastRate: Float = 0
        while plan.runs(trainer.globalStep) {
            let step = plan.step(trainer.globalStep)
            if step.startsEpoch || order.isEmpty {
                epochBegan = DispatchTime.now().uptimeNanoseconds
                secondsBefore = ledger.epoch.seconds
                order = trainer.order(epoch: step.epoch)
            }
            try stopIfRequested(epochSeconds: epochSeconds())
            let stepBegan = DispatchTime.now().uptimeNanoseconds
            let stats = try trainer.step(epoch: step.epoch, stepInEpoch: step.inEpoch, order: order)
            let stepSeconds = Double(DispatchTime.now().uptimeNanoseconds - stepBegan) / 1e9
            record(stepRecorder.add(step: step.number, epoch: step.epochNumber, samples: stats.samples, lossSum: stats.loss,
                                    correct: Double(stats.correct), seconds: stepSeconds, learningRate: Double(stats.learningRate),
                                    time: Date().timeIntervalSince1970))
            status?.update {
                $0.step = step.number
                $0.epoch = step.epochNumber
                $0.loss = stats.loss / Double(max(1, stats.samples))
                $0.imagesPerSecond = Double(stats.samples) / max(stepSeconds, 1e-9)
                $0.countStep(images: stats.samples, stepSeconds: stepSeconds, compute: [stats.computeSeconds], allReduce: nil)
            }
            ledger.epoch.add(stats)
            lastRate = stats.learningRate
            let elapsed = epochSeconds()
            if step.inEpoch % 10 == 9 || step.isEpochEnd {
                let rate = Double(ledger.epoch.samples) / max(elapsed, 1e-9)
                progress.step(epoch: step.epochNumber, epochs: config.epochs, step: step.inEpoch + 1, steps: trainer.stepsPerEpoch,
                              loss: ledger.epoch.meanLoss, accuracy: ledger.epoch.accuracy,
                              imagesPerSecond: rate, etaSeconds: Double(train.count - ledger.epoch.samples) / rate)
            }
            guard step.isEpochEnd else {
                if step.checkpointDue {
                    ledger.epoch.seconds = elapsed
                    try saveCheckpoint(isBest: false)
                }
                continue
            }

            // The epoch's end: validation, the kept model, history, a checkpoint, early stopping.
            var validated: RunLedger.Validation?
            if validation.count > 0 {
                let report = try ClassificationReport(probabilities: trainer.predict(validation), labels: validation.labels)
                validated = RunLedger.Validation(loss: report.logLoss, accuracy: report.accuracy, value: metric.value(of: report))
            }
            let testAccuracy: Double? = try config.testData.isEmpty ? nil
                : ClassificationReport(probabilities: trainer.predict(dataset.test), labels: dataset.test.labels).accuracy
            let epochRecord = ledger.closeEpoch(step.epochNumber, validation: validated, testAccuracy: testAccuracy,
                                                learningRate: Double(lastRate), seconds: elapsed)
            if epochRecord.best { best.copy(from: trainer.network.parameters) }
            if let accuracy = epochRecord.validationAccuracy {
                status?.update {
                    $0.lastEvaluation = StatusSnapshot.Evaluation(step: step.number, epoch: step.epochNumber, accuracy: accuracy, loss: epochRecord.validationLoss)
                    $0.evaluationsTotal += 1
                }
            }
            try EpochRecord.writeHistory(ledger.history, to: "\(folder)/history.jsonl")
            try saveCheckpoint(isBest: epochRecord.best)
            progress.log(String(format: "epoch %d/%d: loss %.4f acc %.4f | val loss %@ acc %@%@ | %.1f s, %.0f img/s",
                                step.epochNumber, config.epochs, epochRecord.trainLoss, epochRecord.trainAccuracy,
                                epochRecord.validationLoss.map { String(format: "%.4f", $0) } ?? "-",
                                epochRecord.validationAccuracy.map { String(format: "%.4f", $0) } ?? "-",
                                epochRecord.best && validated != nil ? " (best)" : "", epochRecord.seconds, epochRecord.imagesPerSecond)
                         + (epochRecord.testAccuracy.map { String(format: " | test acc %.4f (monitor)", $0) } ?? ""))
            if ledger.shouldStop {
                progress.log("early stopping: no better \(metric.validationName) for \(ledger.best.epochsWithoutImprovement) epochs")
                plan.finishAfter = step.index
            }
        }

        trainer.network.parameters.copy(from: best)
        status?.update { $0.phase = "stopped" }
        let modelBytes = trainer.network.modelFileBytes(metadata: ["epoch": String(ledger.bestEpoch), "seed": String(config.seed),
                                                                   Provenance.metadataKey: provenance.summary.compactJSON])
        let report = try RunOutputs.writeModel(modelBytes, testProbabilities: trainer.predict(dataset.test), architecture: arch, dataset: dataset,
                                               folder: folder, extra: ["best_epoch": ledger.bestEpoch, "epochs_run": ledger.history.count])
        progress.log("kept epoch \(ledger.bestEpoch)\(ledger.best.bestValue.map { String(format: " (%@ %.4f)", metric.validationName, $0) } ?? ""); test split:")
        progress.log(report.table())
        var reportPath: String?
        if let request = stop?.request {
            progress.log("\(request.signal): the run is complete; no report (build it with `cifake report \(folder)`)")
        } else {
            reportPath = RunOutputs.writeReport(folder: folder, test: dataset.test, threads: config.threads, progress: progress)
        }
        outcome = "finished"
        return Outcome(runFolder: folder, bestEpoch: ledger.bestEpoch, report: report, history: ledger.history,
                       trainImages: dataset.train.count, reportPath: reportPath)
    }

    /// The run's data: `config.data` (or a synthetic set written into the run folder), and
    /// `config.testData` as the test set when given.
    public func loadData(_ config: TrainingConfig, folder: String) throws -> CIFAKEDataset {
        var path = config.data
        if path.isEmpty || path == "synthetic" {
            path = "\(folder)/synthetic-data"
            progress.log("no --data given: writing a SYNTHETIC two-class set to \(path) (not CIFAKE; for demos and tests)")
            try SyntheticCIFAKE.write(to: path, trainPerClass: 1000, testPerClass: 250, seed: config.seed)
        }
        guard !config.testData.isEmpty else {
            return try DataLoading.load(path, options: config.loadOptions, progress: progress)
        }
        var trainOptions = config.loadOptions
        trainOptions.holdOutFraction = 0
        var testOptions = config.loadOptions
        testOptions.holdOutFraction = 1
        let train = try DataLoading.load(path, options: trainOptions, progress: progress)
        let test = try DataLoading.load(config.testData, options: testOptions, progress: progress)
        return CIFAKEDataset(train: train.train, test: test.test, testOrigin: .folder, root: path)
    }

    /// Makes the run folder ready: created, refused if it already holds a model (nothing is ever
    /// overwritten), with the configuration as run written into `config.yaml`. Returns the
    /// folder and that YAML.
    public static func prepareFolder(_ config: TrainingConfig, defaultFolder: String) throws -> (folder: String, yaml: String) {
        let folder = config.out.isEmpty ? defaultFolder : config.out
        try AtomicFile.makeFolder(folder)
        if FileManager.default.fileExists(atPath: "\(folder)/model.safetensors") {
            throw ConfigError.invalid(source: "--out", problems: ["\(folder) already holds a trained model; choose another run folder"])
        }
        var recorded = config
        recorded.out = folder
        // Keys and the status port belong to a launch, not to the run (a resumed run gets new ones).
        recorded.takeLaunchSettings(from: TrainingConfig())
        let yaml = ConfigFile.yaml(recorded)
        try AtomicFile.write("# cifake training configuration, as run\n" + yaml, to: "\(folder)/config.yaml")
        return (folder, yaml)
    }

    /// The training and validation images of a run: the same stratified split on every process.
    public static func splits(config: TrainingConfig, dataset: CIFAKEDataset) -> (train: ImageSet, validation: ImageSet) {
        config.validationFraction > 0
            ? dataset.train.stratifiedSplit(holdOutFraction: config.validationFraction, seed: config.seed)
            : (dataset.train, ImageSet.empty)
    }

    /// The run folder of a start without `out`: named by the job, never by the clock, so that the
    /// same command started again finds its run. `runs/$CIFAKE_JOB` when set, else
    /// `runs/<config file's stem>` (`Config/cnn2d-d32.yaml`: `runs/cnn2d-d32`), else
    /// `runs/<model>` (`runs/cnn2d-d32`).
    public static func defaultFolder(_ config: TrainingConfig, configPath: String? = nil, environment: [String: String] = [:]) -> String {
        func safe(_ name: String) -> String {
            String(name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "-" })
        }
        if let job = environment["CIFAKE_JOB"]?.trimmingCharacters(in: .whitespaces), !job.isEmpty, job != ".", job != ".." {
            return "runs/\(safe(job))"
        }
        if let configPath, !configPath.isEmpty {
            let stem = URL(fileURLWithPath: configPath).deletingPathExtension().lastPathComponent
            if !stem.isEmpty, stem != ".", stem != ".." { return "runs/\(safe(stem))" }
        }
        return "runs/\(config.model == "cnn2d" ? "cnn2d-d\(config.dense)" : config.model)"
    }
}

/// Loading a data set with its events shown to a person.
public enum DataLoading {
    public static func load(_ path: String, options: LoadOptions, progress: ProgressReporter) throws -> CIFAKEDataset {
        var bad = 0
        let began = DispatchTime.now().uptimeNanoseconds
        let dataset = try CIFAKEDataset.load(path: path, options: options) { event in
            switch event {
            case .layout(let layout): progress.log("data: \(path): \(layout.rawValue)")
            case .progress(let split, let done, let total):
                if progress.isTerminal { writeStandardError("\r\u{1B}[2Kdecoding \(split): \(done)/\(total)") }
            case .badFile(let file, let reason):
                bad += 1
                progress.log("bad file \(file): \(reason) (\(options.badFiles == .skip ? "skipped" : "fatal"))")
            case .resized(let file, let w, let h):
                progress.log("resized \(file) from \(w)x\(h) to 32x32")
            case .notAFile(let file, let kind):
                progress.log("skipped \(file): \(kind), not a regular file")
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        progress.log(String(format: "data: loaded %d train + %d test images in %.2f s%@", dataset.train.count, dataset.test.count, seconds,
                            bad > 0 ? " (\(bad) bad files skipped)" as NSString : "" as NSString))
        return dataset
    }
}

/// `metrics.json`: the classification report's keys plus context about the run.
public enum MetricsFile {
    /// The key of the test split's content digest (hex XXH64 of its labels and pixels): two runs
    /// scored on the same images carry the same value.
    public static let testDigestKey = "test_digest"

    public static func write(_ report: ClassificationReport, to path: String, extra: [String: Any]) throws {
        let encoder = JSONEncoder()
        let data = try encoder.encode(report)
        var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        for (k, v) in extra { object[k] = v }
        let bytes = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(Array(bytes) + [10], to: path)
    }
}
