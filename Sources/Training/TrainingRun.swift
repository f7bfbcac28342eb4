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
        let metric = BestMetric(rawValue: config.bestMetric) ?? .valAccuracy
        let best = FloatBuffer(count: trainer.network.parameters.count)
        var loop = LoopState()
        var history: [EpochRecord] = []
        var savedStep: Int?
        if resume {
            let (checkpoint, _, path) = try store.loadNewestIntact(log: progress.log)
            try trainer.resume(from: checkpoint)
            savedStep = checkpoint.state.step
            do { loop = try LoopState(checkpoint.state.progress) } catch { throw CheckpointError.damaged(path, error.detail) }
            history = try EpochRecord.readHistory("\(folder)/history.jsonl").filter { $0.epoch <= checkpoint.state.epoch }
            if let bestStep = store.pointer("best"), bestStep != checkpoint.state.step,
               let bytes = try? AtomicFile.read(store.path(step: bestStep)), let kept = try? Checkpoint.decode(bytes, source: store.path(step: bestStep)) {
                kept.parameters.withUnsafeBufferPointer { best.pointer.update(from: $0.baseAddress!, count: $0.count) }
            } else {
                best.copy(from: trainer.network.parameters)
            }
            progress.log("resumed from \(path): step \(checkpoint.state.step) (epoch \(checkpoint.state.epoch + 1), step \(checkpoint.state.stepInEpoch + 1) of \(trainer.stepsPerEpoch))")
        }
        // steps.jsonl: cut back to the resumed checkpoint, so no step is recorded twice.
        let stepsFile = try StepsFile(folder: folder, keepingUpTo: savedStep ?? 0)
        var stepRecorder = StepRecorder(totalSteps: config.epochs * trainer.stepsPerEpoch, stepsPerEpoch: trainer.stepsPerEpoch)
        func record(_ r: StepRecord?) {
            guard let r, let problem = stepsFile.append(r) else { return }
            progress.log("warning: \(problem)")
        }
        status?.update {
            $0.phase = "training"
            $0.ready = true
            $0.totalSteps = config.epochs * trainer.stepsPerEpoch
            $0.epochs = config.epochs
            if trainer.globalStep > 0 {
                $0.step = trainer.globalStep
                $0.epoch = (trainer.globalStep - 1) / trainer.stepsPerEpoch + 1
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var historyText = history.map { String(decoding: try! encoder.encode($0), as: UTF8.self) + "\n" }.joined()

        func saveCheckpoint(isBest: Bool) throws {
            // Every step up to the checkpoint recorded and durable before the checkpoint exists.
            record(stepRecorder.flush())
            stepsFile.sync()
            let bytes = trainer.checkpoint(configuration: yaml, progress: loop.progress).encode()
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
                loop.epochSeconds = epochSeconds
                try saveCheckpoint(isBest: false)
            }
            let stopped = TrainingStopped(signal: request.signal, step: trainer.globalStep, totalSteps: config.epochs * trainer.stepsPerEpoch,
                                          checkpoint: store.path(step: trainer.globalStep), runFolder: folder)
            progress.log(stopped.description)
            outcome = "stopped"
            throw stopped
        }

        let firstEpoch = trainer.globalStep / trainer.stepsPerEpoch
        epochs: for epoch in firstEpoch..<config.epochs {
            // A resumed epoch continues its clock from the checkpoint's seconds (which may exceed this
            // machine's uptime, so they are added to the elapsed time, never subtracted from the clock).
            let began = DispatchTime.now().uptimeNanoseconds, secondsBefore = loop.epochSeconds
            let order = trainer.order(epoch: epoch)
            var lastRate: Float = 0
            for s in (trainer.globalStep % trainer.stepsPerEpoch)..<trainer.stepsPerEpoch {
                try stopIfRequested(epochSeconds: secondsBefore + Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9)
                let stepBegan = DispatchTime.now().uptimeNanoseconds
                let stats = try trainer.step(epoch: epoch, stepInEpoch: s, order: order)
                let stepSeconds = Double(DispatchTime.now().uptimeNanoseconds - stepBegan) / 1e9
                record(stepRecorder.add(step: trainer.globalStep, epoch: epoch + 1, samples: stats.samples, lossSum: stats.loss,
                                        correct: Double(stats.correct), seconds: stepSeconds, learningRate: Double(stats.learningRate),
                                        time: Date().timeIntervalSince1970))
                if let status {
                    let seconds = stepSeconds
                    status.update {
                        $0.step = trainer.globalStep
                        $0.epoch = epoch + 1
                        $0.loss = stats.loss / Double(max(1, stats.samples))
                        $0.imagesPerSecond = Double(stats.samples) / max(seconds, 1e-9)
                        $0.countStep(images: stats.samples, stepSeconds: seconds, compute: [stats.computeSeconds], allReduce: nil)
                    }
                }
                loop.loss += stats.loss; loop.correct += stats.correct; loop.seen += stats.samples
                lastRate = stats.learningRate
                let elapsed = secondsBefore + Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
                if s % 10 == 9 || s == trainer.stepsPerEpoch - 1 {
                    let rate = Double(loop.seen) / max(elapsed, 1e-9)
                    progress.step(epoch: epoch + 1, epochs: config.epochs, step: s + 1, steps: trainer.stepsPerEpoch,
                                  loss: loop.loss / Double(loop.seen), accuracy: Double(loop.correct) / Double(loop.seen),
                                  imagesPerSecond: rate, etaSeconds: Double(train.count - loop.seen) / rate)
                }
                if config.checkpointEvery > 0 && trainer.globalStep % config.checkpointEvery == 0 && s < trainer.stepsPerEpoch - 1 {
                    loop.epochSeconds = elapsed
                    try saveCheckpoint(isBest: false)
                }
            }
            let seconds = secondsBefore + Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
            var record = EpochRecord(epoch: epoch + 1, trainLoss: loop.loss / Double(loop.seen), trainAccuracy: Double(loop.correct) / Double(loop.seen),
                                     validationLoss: nil, validationAccuracy: nil, testAccuracy: nil, learningRate: Double(lastRate),
                                     seconds: seconds, imagesPerSecond: Double(loop.seen) / seconds, best: false)
            var improved = validation.count == 0
            if validation.count > 0 {
                let report = try ClassificationReport(probabilities: trainer.predict(validation), labels: validation.labels)
                record.validationLoss = report.logLoss
                record.validationAccuracy = report.accuracy
                if let value = metric.value(of: report) {
                    improved = metric.improves(value, on: loop.bestValue)
                    if improved { loop.bestValue = value }
                } else {
                    improved = false
                }
            }
            if improved {
                loop.bestEpoch = epoch + 1
                best.copy(from: trainer.network.parameters)
                loop.epochsWithoutBest = 0
            } else {
                loop.epochsWithoutBest += 1
            }
            if !config.testData.isEmpty {
                record.testAccuracy = try ClassificationReport(probabilities: trainer.predict(dataset.test), labels: dataset.test.labels).accuracy
            }
            record.best = improved
            if let accuracy = record.validationAccuracy {
                status?.update {
                    $0.lastEvaluation = StatusSnapshot.Evaluation(step: trainer.globalStep, epoch: epoch + 1, accuracy: accuracy, loss: record.validationLoss)
                    $0.evaluationsTotal += 1
                }
            }
            history.append(record)
            historyText += String(decoding: try encoder.encode(record), as: UTF8.self) + "\n"
            try AtomicFile.write(historyText, to: "\(folder)/history.jsonl")
            loop.startEpoch()
            try saveCheckpoint(isBest: improved)
            progress.log(String(format: "epoch %d/%d: loss %.4f acc %.4f | val loss %@ acc %@%@ | %.1f s, %.0f img/s",
                                epoch + 1, config.epochs, record.trainLoss, record.trainAccuracy,
                                record.validationLoss.map { String(format: "%.4f", $0) } ?? "-",
                                record.validationAccuracy.map { String(format: "%.4f", $0) } ?? "-",
                                improved && validation.count > 0 ? " (best)" : "", seconds, record.imagesPerSecond)
                         + (record.testAccuracy.map { String(format: " | test acc %.4f (monitor)", $0) } ?? ""))
            if config.earlyStoppingPatience > 0 && loop.epochsWithoutBest >= config.earlyStoppingPatience {
                progress.log("early stopping: no better \(metric.rawValue) for \(loop.epochsWithoutBest) epochs")
                break epochs
            }
        }

        trainer.network.parameters.copy(from: best)
        status?.update { $0.phase = "stopped" }
        try AtomicFile.write(trainer.network.modelFileBytes(metadata: ["epoch": String(loop.bestEpoch), "seed": String(config.seed),
                                                                       Provenance.metadataKey: provenance.summary.compactJSON]),
                             to: "\(folder)/model.safetensors")
        let report = try ClassificationReport(probabilities: trainer.predict(dataset.test), labels: dataset.test.labels)
        try MetricsFile.write(report, to: "\(folder)/metrics.json", extra: [
            "model": arch.modelName, "dense": arch.hiddenWidth, "architecture": arch.displayName,
            "best_epoch": loop.bestEpoch, "epochs_run": history.count, "data": dataset.root,
            "test_origin": "\(dataset.testOrigin)", MetricsFile.testDigestKey: Hex.string(dataset.test.digest),
        ])
        progress.log("kept epoch \(loop.bestEpoch)\(loop.bestValue.map { String(format: " (%@ %.4f)", metric.rawValue, $0) } ?? ""); test split:")
        progress.log(report.table())
        // The run's results are safely written by now: a failed report is worth a warning, not the run.
        var reportPath: String?
        if let request = stop?.request {
            progress.log("\(request.signal): the run is complete; no report (build it with `cifake report \(folder)`)")
        } else {
            do {
                reportPath = try RunReport.write(runFolder: folder, test: dataset.test, threads: config.threads, progress: progress)
                progress.log("report: \(reportPath!)")
            } catch {
                progress.log("warning: no report: \(error) (rebuild it with `cifake report \(folder)`)")
            }
        }
        outcome = "finished"
        return Outcome(runFolder: folder, bestEpoch: loop.bestEpoch, report: report, history: history,
                       trainImages: dataset.train.count, reportPath: reportPath)
    }

    /// The loop's bookkeeping beside the model, saved in every checkpoint so that a resumed run
    /// keeps the same best epoch, early-stopping count and epoch sums.
    struct LoopState {
        var bestValue: Double?
        var bestEpoch = 0
        var epochsWithoutBest = 0
        var loss = 0.0
        var correct = 0
        var seen = 0
        var epochSeconds = 0.0

        init() {}

        struct Problem: Error { var detail: String }

        /// Largest count of images or epochs a checkpoint's bookkeeping may hold (2^40).
        static let maximumCount = 1 << 40
        /// Longest epoch a checkpoint may have been interrupted in: 10^7 s (116 days).
        static let maximumEpochSeconds = 1e7

        /// The bookkeeping a checkpoint recorded (`progress.*`); a missing key counts as zero, a
        /// value out of range is refused.
        init(_ p: [String: String]) throws(Problem) {
            func integer(_ key: String) throws(Problem) -> Int {
                guard let text = p[key] else { return 0 }
                guard let value = Int(text), (0...Self.maximumCount).contains(value) else {
                    throw Problem(detail: "metadata 'progress.\(key)' is '\(text)', expected an integer in 0...\(Self.maximumCount)")
                }
                return value
            }
            // A diverged run may legitimately record NaN or infinite sums; only the clock's seconds
            // feed arithmetic that must stay in range.
            func number(_ key: String, _ range: ClosedRange<Double>? = nil) throws(Problem) -> Double? {
                guard let text = p[key] else { return nil }
                guard let value = Double(text), range.map({ $0.contains(value) }) ?? true else {
                    throw Problem(detail: "metadata 'progress.\(key)' is '\(text)', expected "
                                  + (range.map { "a number in \($0.lowerBound)...\($0.upperBound)" } ?? "a number"))
                }
                return value
            }
            bestValue = try number("best_value")
            bestEpoch = try integer("best_epoch")
            epochsWithoutBest = try integer("epochs_without_best")
            loss = try number("epoch_loss_sum") ?? 0
            correct = try integer("epoch_correct")
            seen = try integer("epoch_seen")
            guard correct <= seen else {
                throw Problem(detail: "metadata 'progress.epoch_correct' is '\(correct)', expected at most 'progress.epoch_seen' (\(seen))")
            }
            epochSeconds = try number("epoch_seconds", 0...Self.maximumEpochSeconds) ?? 0
        }

        var progress: [String: String] {
            var p = ["best_epoch": String(bestEpoch), "epochs_without_best": String(epochsWithoutBest),
                     "epoch_loss_sum": String(loss), "epoch_correct": String(correct), "epoch_seen": String(seen),
                     "epoch_seconds": String(epochSeconds)]
            if let bestValue { p["best_value"] = String(bestValue) }
            return p
        }

        mutating func startEpoch() {
            loss = 0; correct = 0; seen = 0; epochSeconds = 0
        }
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
