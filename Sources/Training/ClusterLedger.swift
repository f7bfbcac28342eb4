import Coordination

/// A cluster run's ``RunLedger`` as its coordinator keeps it: the same epoch sums, best, patience
/// and history as one process's, fed with what reaches the coordinator instead of a local loop.
/// Pure: the seconds between steps are passed in.
///
/// The news arrives out of step with the epochs: rank 0's validation of an epoch end comes just
/// before that step's summary, and after a restart of the coordinator the steps trained while it
/// was away come as replays of each worker's reports (in any order, once per node and step). So
/// it keeps the sums of every epoch still open and closes them in order, each once its last step
/// was summarised (or every step replayed) and its validation, if the run validates, arrived.
///
/// Rank 0's validations choose the kept checkpoint and count for early stopping when they arrive,
/// epoch by epoch, exactly as the epochs do in one process, so one worker keeps the single
/// process's epoch. Each checkpoint carries the bookkeeping as it stood after its step
/// (``progress(after:)``), so a resumed coordinator continues it from the checkpoint.
public struct ClusterLedger: Sendable, Equatable {
    struct OpenEpoch: Sendable, Equatable {
        var sums = RunLedger.EpochSums()
        /// Steps counted (summaries and replays, each step once).
        var steps = 0
        /// Its last step was summarised, or every step replayed.
        var complete = false
    }

    struct Validated: Sendable, Equatable {
        var validation: RunLedger.Validation
        var best: Bool
    }

    struct ReplayKey: Hashable, Sendable {
        var node: String
        var step: Int
    }

    public private(set) var plan: StepPlan
    public let learningRates: LearningRateSchedule
    /// The run holds out a validation split: an epoch is closed once rank 0's validation of it arrived.
    public let expectsValidation: Bool
    /// Best, patience and the closed epochs' history; its `epoch` sums stay empty (see `open`).
    public private(set) var run: RunLedger
    /// Sums of the epochs not yet closed, by epoch (0-based).
    private var open: [Int: OpenEpoch] = [:]
    /// Rank 0's validations of epochs not yet closed, by epoch (1-based).
    private var validations: [Int: Validated] = [:]
    /// The next epoch (0-based) the history gets.
    public private(set) var nextEpoch = 0
    /// Steps before this one were accounted for before a restart; replays of later ones count.
    public private(set) var replayFrom = Int.max
    /// The first step this coordinator summarised itself: replays are of steps before it.
    private var liveFrom: Int?
    private var replayed: Set<ReplayKey> = []
    private var replayedSteps: Set<Int> = []
    /// The sums of the epoch of the latest summary, through its step (for the progress line).
    public private(set) var summarisedEpoch = RunLedger.EpochSums()
    /// The ledger as it stood after each recent step whose checkpoint is due, by completed steps.
    private var snapshots: [Int: RunLedger] = [:]
    static let snapshotLimit = 8

    public init(metric: Metric, patience: Int, plan: StepPlan, learningRates: LearningRateSchedule, expectsValidation: Bool) {
        self.plan = plan
        self.learningRates = learningRates
        self.expectsValidation = expectsValidation
        run = RunLedger(metric: metric, patience: patience, stepsPerEpoch: plan.stepsPerEpoch)
    }

    public init(config: TrainingConfig, stepsPerEpoch: Int) {
        self.init(metric: Metric(validationName: config.bestMetric) ?? .accuracy, patience: config.earlyStoppingPatience,
                  plan: StepPlan(config: config, stepsPerEpoch: stepsPerEpoch),
                  learningRates: LearningRateSchedule(config: config, stepsPerEpoch: stepsPerEpoch), expectsValidation: config.validationFraction > 0)
    }

    private var stepsPerEpoch: Int { plan.stepsPerEpoch }
    public var history: [EpochRecord] { run.history }
    public var best: BestTracker { run.best }
    /// Early stopping: `patience` validated epochs in a row without improvement.
    public var shouldStop: Bool { run.shouldStop }

    // MARK: Resuming

    /// Continues from the bookkeeping the checkpoint after `step` recorded (``progress(after:)``).
    public mutating func resume(step: Int, progress: [String: String]) throws(RunLedger.Problem) {
        run = try RunLedger(progress: progress, metric: run.best.metric, patience: run.best.patience, stepsPerEpoch: stepsPerEpoch)
        nextEpoch = step / stepsPerEpoch
        if step % stepsPerEpoch != 0 { open[nextEpoch] = OpenEpoch(sums: run.epoch, steps: step % stepsPerEpoch) }
        run.epoch = RunLedger.EpochSums()
        replayFrom = step
    }

    /// Continues from a checkpoint of an earlier version, which recorded no bookkeeping: the
    /// epochs before it from the run's `history.jsonl`, best and patience from rank 0's
    /// validations (`value` of the best metric, by step) in `evaluations.jsonl`, and the epoch it
    /// lies in from the workers' replays of its steps.
    public mutating func resume(step: Int, history: [EpochRecord], validations: [(step: Int, value: Double?)]) {
        run = RunLedger(metric: run.best.metric, patience: run.best.patience, stepsPerEpoch: stepsPerEpoch)
        nextEpoch = step / stepsPerEpoch
        run.history = history.filter { $0.epoch <= nextEpoch }
        for v in validations where v.step <= step { _ = run.validate(epoch: v.step / stepsPerEpoch, value: v.value) }
        replayFrom = nextEpoch * stepsPerEpoch
    }

    // MARK: Events

    /// Every rank completed the step of `s`, `seconds` after the previous summary (0: unknown).
    /// Returns the epochs this closes.
    public mutating func onSummary(_ s: StepSummary, seconds: Double) -> [EpochRecord] {
        if liveFrom == nil { liveFrom = s.step }
        let step = plan.step(s.step)
        add(epoch: s.epoch, loss: s.meanLoss * Double(s.samples), correct: s.meanAccuracy * Double(s.samples), samples: s.samples,
            seconds: seconds, newStep: true)
        summarisedEpoch = open[s.epoch]?.sums ?? RunLedger.EpochSums()
        if step.isEpochEnd { open[s.epoch, default: OpenEpoch()].complete = true }
        let closed = closeEpochs(final: false)
        if step.checkpointDue { snapshot(after: step.number) }
        return closed
    }

    /// A worker's report of a step trained while this coordinator was away (it restarted): added
    /// to that epoch's sums once per node and step. An epoch closes once each of its steps was
    /// replayed (by some node: a node's replays that come later find it closed). Reports of steps
    /// accounted for already, or that make no sense, are dropped. Returns the epochs this closes.
    public mutating func onReplay(_ r: StepReport, node: String) -> [EpochRecord] {
        guard r.step >= replayFrom, r.step < (liveFrom ?? .max), r.epoch >= nextEpoch, r.epoch < plan.epochs, r.epoch == r.step / stepsPerEpoch,
              r.samples >= 0, r.loss.isFinite, (0...1).contains(r.accuracy),
              replayed.insert(ReplayKey(node: node, step: r.step)).inserted else { return [] }
        let newStep = replayedSteps.insert(r.step).inserted
        add(epoch: r.epoch, loss: r.loss * Double(r.samples), correct: r.accuracy * Double(r.samples), samples: r.samples,
            seconds: newStep ? r.computeSeconds + r.allReduceWaitSeconds : 0, newStep: newStep)
        if open[r.epoch]?.steps == stepsPerEpoch { open[r.epoch]?.complete = true }
        return closeEpochs(final: false)
    }

    /// Rank 0's validation at the end of epoch `result.epoch`: whether it is the best so far (nil:
    /// that epoch was validated already, or the result names no epoch), and the epochs this closes.
    public mutating func onValidation(_ result: EvaluationResult) -> (best: Bool?, closed: [EpochRecord]) {
        guard let epoch = result.epoch else { return (nil, []) }
        let value = result.validation.flatMap { run.best.metric.value(of: $0) }
        let improved = run.validate(epoch: epoch, value: value)
        validations[epoch] = Validated(validation: RunLedger.Validation(loss: result.validation?.loss, accuracy: result.validation?.accuracy,
                                                                        value: value),
                                       best: improved ?? false)
        return (improved, closeEpochs(final: false))
    }

    /// Early stopping (or a graceful stop) ends the run after the step of `index`: its checkpoint is due.
    public mutating func finishAfter(_ index: Int) {
        plan.finishAfter = index
    }

    /// The checkpoint of `step` will never be written: it can't be the kept model.
    public mutating func forget(step: Int) {
        run.forget(step: step)
    }

    /// The run ended: every epoch with steps is closed, complete or not, validated or not.
    public mutating func finish() -> [EpochRecord] {
        closeEpochs(final: true)
    }

    // MARK: In a checkpoint

    /// The bookkeeping the checkpoint after `step` completed steps carries (`progress.*`
    /// metadata, ``RunLedger/progress``): as it stood when that step completed, with the sums of
    /// the epoch it lies in.
    public func progress(after step: Int) -> [String: String] {
        (snapshots[step] ?? ledger(after: step)).progress
    }

    private func ledger(after step: Int) -> RunLedger {
        var ledger = run
        if step % stepsPerEpoch != 0, let partial = open[step / stepsPerEpoch] { ledger.epoch = partial.sums }
        return ledger
    }

    private mutating func snapshot(after step: Int) {
        snapshots[step] = ledger(after: step)
        while snapshots.count > Self.snapshotLimit, let oldest = snapshots.keys.min() { snapshots[oldest] = nil }
    }

    // MARK: Internals

    private mutating func add(epoch: Int, loss: Double, correct: Double, samples: Int, seconds: Double, newStep: Bool) {
        var e = open[epoch] ?? OpenEpoch()
        e.sums.loss += loss
        e.sums.correct += Int(correct.rounded())
        e.sums.samples += samples
        e.sums.seconds += seconds
        if newStep { e.steps += 1 }
        open[epoch] = e
    }

    /// Closes the epochs that are ready, in order (`final`: every one with steps). An epoch nobody
    /// reported (trained while the coordinator was away, and not replayed) is skipped once a
    /// later one has steps.
    private mutating func closeEpochs(final: Bool) -> [EpochRecord] {
        var closed: [EpochRecord] = []
        while nextEpoch < plan.epochs {
            let epoch = nextEpoch
            guard let e = open[epoch] else {
                if open.keys.contains(where: { $0 > epoch }) {
                    nextEpoch += 1
                    continue
                }
                break
            }
            let validated = validations[epoch + 1]
            guard final || (e.complete && (!expectsValidation || validated != nil)) else { break }
            closed.append(run.record(epoch: epoch + 1, sums: e.sums, validation: validated?.validation, best: validated?.best ?? true,
                                     testAccuracy: nil, learningRate: Double(learningRates.rate(at: (epoch + 1) * stepsPerEpoch - 1)),
                                     seconds: e.sums.seconds))
            open[epoch] = nil
            validations[epoch + 1] = nil
            nextEpoch += 1
        }
        return closed
    }
}
