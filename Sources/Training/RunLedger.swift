import Foundation

/// A run's bookkeeping beside the model: the sums of the epoch in progress, the best validated
/// checkpoint and early stopping's count (``BestTracker``), and the history of finished epochs.
/// Saved in every checkpoint (``progress``) so that a resumed run continues it exactly: the same
/// kept epoch, patience and epoch means as an uninterrupted run. Pure: the clock's seconds and
/// the validation scores are passed in.
public struct RunLedger: Codable, Sendable, Equatable {
    /// Sums over the steps of one epoch, on this replica.
    public struct EpochSums: Codable, Sendable, Equatable {
        /// Binary cross-entropy summed over the samples.
        public var loss = 0.0
        public var correct = 0
        public var samples = 0
        /// Seconds of the epoch so far; set when a checkpoint is taken (the clock is the shell's).
        public var seconds = 0.0

        public init() {}

        public mutating func add(_ stats: StepStats) {
            loss += stats.loss
            correct += stats.correct
            samples += stats.samples
        }

        public var meanLoss: Double { loss / Double(samples) }
        public var accuracy: Double { Double(correct) / Double(samples) }
    }

    /// An epoch's scores on the validation hold-out.
    public struct Validation: Sendable, Equatable {
        public var loss: Double?
        public var accuracy: Double?
        /// The best metric's value (nil: undefined, e.g. an AUC on one class).
        public var value: Double?

        public init(loss: Double?, accuracy: Double?, value: Double?) {
            self.loss = loss
            self.accuracy = accuracy
            self.value = value
        }
    }

    public let stepsPerEpoch: Int
    /// The epoch in progress.
    public var epoch = EpochSums()
    public private(set) var best: BestTracker
    /// One record per finished epoch, oldest first: history.jsonl's lines.
    public var history: [EpochRecord] = []

    public init(metric: Metric, patience: Int, stepsPerEpoch: Int) {
        self.stepsPerEpoch = stepsPerEpoch
        best = BestTracker(metric: metric, patience: patience)
    }

    /// The epoch (1-based) whose model is kept so far: the best validated one, or the newest
    /// without validation; 0 before any.
    public var bestEpoch: Int { (best.bestStep ?? 0) / stepsPerEpoch }

    /// Early stopping: `patience` epochs in a row without improvement.
    public var shouldStop: Bool { best.shouldStop }

    /// Closes the epoch `number` (1-based) that just ended: records it with its `validation`
    /// (nil: the run has no validation hold-out, and keeps its newest epoch), decides whether it
    /// is the best so far, and starts the next epoch's sums. Returns the history record.
    @discardableResult
    public mutating func closeEpoch(_ number: Int, validation: Validation?, testAccuracy: Double?, learningRate: Double,
                                    seconds: Double) -> EpochRecord {
        let improved: Bool
        if let validation {
            improved = validate(epoch: number, value: validation.value) ?? false
        } else {
            best.keepUnvalidated(step: number * stepsPerEpoch)
            improved = true
        }
        let record = record(epoch: number, sums: epoch, validation: validation, best: improved, testAccuracy: testAccuracy,
                            learningRate: learningRate, seconds: seconds)
        epoch = EpochSums()
        return record
    }

    /// Records the validation of epoch `number` (1-based) by the best metric's `value` (nil:
    /// undefined): whether it is the best so far, nil when that epoch was validated already.
    /// A cluster's coordinator calls it when rank 0's validation arrives, before the epoch's
    /// sums are complete (``ClusterLedger``).
    public mutating func validate(epoch number: Int, value: Double?) -> Bool? {
        best.record(step: number * stepsPerEpoch, value: value)
    }

    /// Appends the history record of epoch `number` (1-based) from its `sums`; `best` says
    /// whether its validation chose it (see ``validate(epoch:value:)``).
    @discardableResult
    public mutating func record(epoch number: Int, sums: EpochSums, validation: Validation?, best: Bool, testAccuracy: Double?,
                                learningRate: Double, seconds: Double) -> EpochRecord {
        let record = EpochRecord(epoch: number, trainLoss: sums.meanLoss, trainAccuracy: sums.accuracy,
                                 validationLoss: validation?.loss, validationAccuracy: validation?.accuracy, testAccuracy: testAccuracy,
                                 learningRate: learningRate, seconds: seconds, imagesPerSecond: Double(sums.samples) / max(seconds, 1e-9),
                                 best: best)
        history.append(record)
        return record
    }

    /// The checkpoint of `step` will never be written: it can't be the kept model
    /// (``BestTracker/forget(step:)``).
    public mutating func forget(step: Int) {
        best.forget(step: step)
    }

    // MARK: In a checkpoint

    /// Bookkeeping a checkpoint recorded that can't be continued from: names the key, the value
    /// found and what was expected.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var detail: String
        public var description: String { detail }
    }

    /// Largest count of images or epochs a checkpoint's bookkeeping may hold (2^40).
    public static let maximumCount = 1 << 40
    /// Longest epoch a checkpoint may have been interrupted in: 10^7 s (116 days).
    public static let maximumEpochSeconds = 1e7

    /// The ledger as checkpoint metadata (`progress.KEY`, strings as safetensors requires).
    public var progress: [String: String] {
        var p = ["best_epoch": String(bestEpoch), "epochs_without_best": String(best.epochsWithoutImprovement),
                 "epoch_loss_sum": String(epoch.loss), "epoch_correct": String(epoch.correct), "epoch_seen": String(epoch.samples),
                 "epoch_seconds": String(epoch.seconds), "history": Self.historyJSON(history)]
        if let bestValue = best.bestValue { p["best_value"] = String(bestValue) }
        return p
    }

    /// The ledger a checkpoint recorded (``progress``): a missing key counts as zero (a missing
    /// history as none: see ``hasHistory(_:)``), a value out of range is refused.
    public init(progress p: [String: String], metric: Metric, patience: Int, stepsPerEpoch: Int) throws(Problem) {
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
        self.stepsPerEpoch = stepsPerEpoch
        let bestEpoch = try integer("best_epoch")
        best = BestTracker(metric: metric, patience: patience, bestValue: try number("best_value"),
                           bestStep: bestEpoch > 0 ? bestEpoch * stepsPerEpoch : nil,
                           epochsWithoutImprovement: try integer("epochs_without_best"))
        epoch.loss = try number("epoch_loss_sum") ?? 0
        epoch.correct = try integer("epoch_correct")
        epoch.samples = try integer("epoch_seen")
        guard epoch.correct <= epoch.samples else {
            throw Problem(detail: "metadata 'progress.epoch_correct' is '\(epoch.correct)', expected at most 'progress.epoch_seen' (\(epoch.samples))")
        }
        epoch.seconds = try number("epoch_seconds", 0...Self.maximumEpochSeconds) ?? 0
        if let text = p["history"] {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            do { history = try decoder.decode([EpochRecord].self, from: Data(text.utf8)) } catch {
                throw Problem(detail: "metadata 'progress.history' is not a list of epoch records: \(error)")
            }
        }
    }

    /// Whether checkpoint metadata holds the history (checkpoints of earlier versions do not:
    /// their run's history.jsonl does).
    public static func hasHistory(_ progress: [String: String]) -> Bool { progress["history"] != nil }

    static func historyJSON(_ records: [EpochRecord]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // A diverged epoch's NaN loss is written as a string rather than failing the checkpoint.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: (try? encoder.encode(records)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
