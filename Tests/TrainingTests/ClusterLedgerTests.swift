import Checkpoints
@testable import Coordination
import Model
import XCTest
@testable import Training

/// A cluster run's bookkeeping as the coordinator keeps it, without processes: step summaries,
/// rank 0's typed validations, replays after a restart, and the ledger a checkpoint carries.
final class ClusterLedgerTests: XCTestCase {
    /// Two steps per epoch, three epochs, a checkpoint every step.
    func ledger(patience: Int = 0, validates: Bool = true, metric: Metric = .accuracy) -> ClusterLedger {
        var config = TrainingConfig()
        config.epochs = 3
        config.learningRate = 0.001
        return ClusterLedger(metric: metric, patience: patience, plan: StepPlan(epochs: 3, stepsPerEpoch: 2, checkpointEvery: 1),
                             learningRates: LearningRateSchedule(config: config, stepsPerEpoch: 2), expectsValidation: validates)
    }

    /// Step `index`'s summary: 10 images over two ranks.
    func summary(_ index: Int, loss: Double = 0.5, correct: Int = 7) -> StepSummary {
        StepSummary(generation: 1, step: index, epoch: index / 2, meanLoss: loss, meanAccuracy: Double(correct) / 10, samples: 10,
                    imagesPerSecond: 100, perRank: [], slowestRank: 0)
    }

    func validation(epoch: Int, accuracy: Double, auc: Double? = 0.9) -> EvaluationResult {
        EvaluationResult(step: epoch * 2, epoch: epoch, validation: .init(loss: 1 - accuracy, accuracy: accuracy, f1: accuracy, auc: auc))
    }

    func testAnEpochClosesOnceItsLastStepAndItsValidationAreIn() {
        var l = ledger()
        XCTAssertEqual(l.onSummary(summary(0, loss: 0.6, correct: 6), seconds: 0), [])
        XCTAssertEqual(l.summarisedEpoch.samples, 10)
        // Rank 0 validates before it reports the epoch's last step.
        let (best, early) = l.onValidation(validation(epoch: 1, accuracy: 0.8))
        XCTAssertEqual(best, true)
        XCTAssertEqual(early, [], "the epoch's last step is not summarised yet")
        let closed = l.onSummary(summary(1, loss: 0.4, correct: 9), seconds: 3)
        XCTAssertEqual(closed.count, 1)
        let record = closed[0]
        XCTAssertEqual(record.epoch, 1)
        XCTAssertEqual(record.trainLoss, 0.5, accuracy: 1e-12)
        XCTAssertEqual(record.trainAccuracy, 0.75, "correct images counted exactly, as in one process")
        XCTAssertEqual(record.validationAccuracy, 0.8)
        XCTAssertEqual(record.validationLoss ?? 0, 0.2, accuracy: 1e-12)
        XCTAssertEqual(record.seconds, 3)
        XCTAssertEqual(record.imagesPerSecond, 20 / 3)
        XCTAssertTrue(record.best)
        XCTAssertEqual(l.history, [record])
        XCTAssertEqual(l.best.bestStep, 2)
    }

    func testWithoutItsValidationAnEpochWaitsUntilTheRunEnds() {
        var l = ledger()
        _ = l.onSummary(summary(0), seconds: 1)
        XCTAssertEqual(l.onSummary(summary(1), seconds: 1), [])
        XCTAssertEqual(l.onSummary(summary(2), seconds: 1), [], "epoch 2 waits behind epoch 1")
        let closed = l.finish()
        XCTAssertEqual(closed.map(\.epoch), [1, 2], "the last epoch too, complete or not")
        XCTAssertEqual(closed.map(\.best), [true, true])
        XCTAssertNil(closed[0].validationAccuracy)
        XCTAssertNil(l.best.bestStep, "an epoch nobody validated is never the kept checkpoint")
    }

    func testARunWithoutValidationClosesEachEpochAtItsLastStep() {
        var l = ledger(validates: false)
        _ = l.onSummary(summary(0), seconds: 1)
        XCTAssertEqual(l.onSummary(summary(1), seconds: 1).map(\.epoch), [1])
        XCTAssertNil(l.best.bestStep, "the coordinator keeps its latest checkpoint")
    }

    /// The same rule as one process: patience counts validated epochs; an undefined metric (an
    /// AUC of one class, absent on the wire) is no improvement.
    func testBestAndPatienceFromTypedValidations() {
        var l = ledger(patience: 2, metric: .auc)
        XCTAssertEqual(l.onValidation(validation(epoch: 1, accuracy: 0.8, auc: 0.7)).best, true)
        XCTAssertEqual(l.onValidation(validation(epoch: 2, accuracy: 0.9, auc: nil)).best, false)
        XCTAssertFalse(l.shouldStop)
        XCTAssertEqual(l.onValidation(validation(epoch: 2, accuracy: 0.9, auc: 0.9)).best, nil, "an epoch counts once")
        XCTAssertEqual(l.onValidation(validation(epoch: 3, accuracy: 0.9, auc: 0.7)).best, false, "a tie does not improve")
        XCTAssertTrue(l.shouldStop)
        XCTAssertEqual(l.best.bestStep, 2)
        XCTAssertEqual(l.best.epochsWithoutImprovement, 2)
        // The evaluator's results carry no epoch and never count.
        XCTAssertEqual(l.onValidation(EvaluationResult(step: 3, validation: .init(loss: 0, accuracy: 1, f1: 1, auc: 1))).best, nil)
        XCTAssertEqual(l.best.bestStep, 2)
    }

    /// A best whose checkpoint was never written gives way; one restored from a checkpoint too.
    func testForgettingARestoredBestEndsItsReign() throws {
        var l = ledger()
        _ = l.onValidation(validation(epoch: 1, accuracy: 0.8))
        _ = l.onSummary(summary(0), seconds: 1)
        _ = l.onSummary(summary(1), seconds: 1)
        var resumed = ledger()
        try resumed.resume(step: 2, progress: l.progress(after: 2))
        XCTAssertEqual(resumed.best.bestStep, 2)
        resumed.forget(step: 2)
        XCTAssertNil(resumed.best.bestStep, "no other candidate: the latest checkpoint is kept")
    }

    /// What a checkpoint carries is the ledger as it stood after its step, whatever came later.
    func testACheckpointCarriesTheLedgerAsItStoodAfterItsStep() throws {
        var l = ledger()
        _ = l.onSummary(summary(0, loss: 0.6, correct: 6), seconds: 2)
        let atStep1 = l.progress(after: 1)
        _ = l.onValidation(validation(epoch: 1, accuracy: 0.8))
        _ = l.onSummary(summary(1), seconds: 2)
        _ = l.onSummary(summary(2), seconds: 2)
        XCTAssertEqual(l.progress(after: 1), atStep1, "later steps do not leak into step 1's checkpoint")
        XCTAssertEqual(atStep1["epoch_seen"], "10")
        XCTAssertEqual(atStep1["epoch_correct"], "6")
        XCTAssertEqual(atStep1["history"], "[]")
        let atStep2 = try RunLedger(progress: l.progress(after: 2), metric: .accuracy, patience: 0, stepsPerEpoch: 2)
        XCTAssertEqual(atStep2.history.map(\.epoch), [1])
        XCTAssertEqual(atStep2.epoch, RunLedger.EpochSums(), "an epoch end carries no partial sums")
        XCTAssertEqual(atStep2.bestEpoch, 1)
    }

    /// Through a real checkpoint file: the coordinator adds the ledger to rank 0's upload by
    /// rewriting its header only, the file still decodes, and a coordinator resumed from it
    /// continues exactly as the uninterrupted one.
    func testTheLedgerRoundTripsThroughACheckpointAndTheResumedRunContinuesAlike() throws {
        var whole = ledger(patience: 2)
        _ = whole.onSummary(summary(0, loss: 0.7, correct: 5), seconds: 2)
        _ = whole.onValidation(validation(epoch: 1, accuracy: 0.8))
        _ = whole.onSummary(summary(1, loss: 0.5, correct: 8), seconds: 2)
        _ = whole.onSummary(summary(2, loss: 0.3, correct: 9), seconds: 2)

        let architecture = try Architecture(model: "cnn2d", dense: 32)
        let network = Network(architecture: architecture, maxBatch: 1)
        network.initialize(seed: 3)
        let state = TrainingState(step: 3, stepsPerEpoch: 2, adamStep: 3, seed: 3, worldSize: 2, configuration: "epochs: 3",
                                  progress: ["gradient_compression": "gradient_compression none (configured)"])
        let upload = Checkpoint(network: network, adam: Adam(parameterCount: network.layout.count), state: state).encode()
        let bytes = try Checkpoint.settingProgress(whole.progress(after: 3), in: upload, source: "test")
        XCTAssertEqual(try Checkpoint.recordedWeightsChecksum(in: bytes, source: "test"), network.parameters.checksum(),
                       "what the coordinator compares with the ranks' agreement, from the header alone")
        XCTAssertThrowsError(try Checkpoint.recordedWeightsChecksum(in: Array(bytes.prefix(7)), source: "test"))
        let decoded = try Checkpoint.decode(bytes, source: "test")
        XCTAssertEqual(decoded.parameters, network.parameters.array, "the tensors are untouched")
        XCTAssertEqual(decoded.state.progress["gradient_compression"], "gradient_compression none (configured)", "rank 0's entries stay")
        XCTAssertTrue(RunLedger.hasHistory(decoded.state.progress))

        var resumed = ledger(patience: 2)
        try resumed.resume(step: 3, progress: decoded.state.progress)
        XCTAssertEqual(resumed.history, whole.history)
        XCTAssertEqual(resumed.best, BestTracker(metric: .accuracy, patience: 2, bestValue: 0.8, bestStep: 2, epochsWithoutImprovement: 0))
        XCTAssertEqual(resumed.replayFrom, 3)
        var ends: [[EpochRecord]] = []
        for var l in [whole, resumed] {
            _ = l.onValidation(validation(epoch: 2, accuracy: 0.7))
            _ = l.onSummary(summary(3, loss: 0.1, correct: 10), seconds: 2)
            XCTAssertEqual(l.best.epochsWithoutImprovement, 1)
            ends.append(l.history)
        }
        XCTAssertEqual(ends[0], ends[1], "the resumed coordinator writes the same history")
        XCTAssertEqual(ends[1].last?.trainAccuracy, 0.95)
        XCTAssertEqual(ends[1].last?.seconds, 4)
    }

    /// A restarted coordinator (resumed mid-epoch) hears the steps trained while it was away as
    /// each worker's replays: counted once per node and step, then the epoch closes.
    func testReplaysFillTheEpochsACoordinatorMissedOncePerNodeAndStep() throws {
        var before = ledger(validates: false)
        _ = before.onSummary(summary(0), seconds: 1)
        _ = before.onSummary(summary(1), seconds: 1)
        _ = before.onSummary(summary(2, loss: 0.2, correct: 8), seconds: 1)
        var l = ledger(validates: false)
        try l.resume(step: 3, progress: before.progress(after: 3))
        func replay(_ node: String, step: Int, correct: Int) -> StepReport {
            StepReport(generation: 1, step: step, epoch: step / 2, loss: 0.4, accuracy: Double(correct) / 5, samples: 5,
                       computeSeconds: 0.5, allReduceWaitSeconds: 0.25)
        }
        XCTAssertEqual(l.onReplay(replay("a", step: 2, correct: 4), node: "a"), [], "accounted for in the checkpoint")
        XCTAssertEqual(l.onReplay(replay("b", step: 4, correct: 4), node: "b"), [], "epoch 3 waits behind epoch 2")
        let closed = l.onReplay(replay("a", step: 3, correct: 4), node: "a")
        XCTAssertEqual(closed.map(\.epoch), [2], "each step of the epoch is in")
        XCTAssertEqual(closed.first?.trainAccuracy, 12.0 / 15, "8 of 10 from the checkpoint, 4 of 5 replayed")
        XCTAssertEqual(closed.first?.seconds, 1.75, "the checkpoint's second, then the replayed step's compute and wait")
        XCTAssertEqual(l.onReplay(replay("a", step: 4, correct: 4), node: "a"), [])
        XCTAssertEqual(l.onReplay(replay("a", step: 4, correct: 4), node: "a"), [], "a second replay of a node's step is dropped")
        XCTAssertEqual(l.onReplay(replay("b", step: 3, correct: 5), node: "b"), [], "an epoch already closed takes nothing more")
        XCTAssertEqual(l.onReplay(replay("b", step: 5, correct: 5), node: "b").map(\.epoch), [3])
        XCTAssertEqual(l.history.last?.trainAccuracy, 13.0 / 15, "the same step from two nodes: both halves")
        XCTAssertEqual(l.history.map(\.epoch), [1, 2, 3])
        // Once the coordinator summarises steps itself, replays of those are not taken.
        var live = ledger(validates: false)
        try live.resume(step: 3, progress: before.progress(after: 3))
        _ = live.onSummary(summary(3), seconds: 1)
        XCTAssertEqual(live.onReplay(replay("c", step: 4, correct: 5), node: "c"), [])
        XCTAssertEqual(live.history.map(\.epoch), [1, 2])
    }

    func testAnOlderCheckpointsRunContinuesFromItsFiles() {
        var l = ledger(patience: 1)
        let old = EpochRecord(epoch: 1, trainLoss: 0.5, trainAccuracy: 0.7, validationLoss: 0.4, validationAccuracy: 0.8, testAccuracy: nil,
                              learningRate: 0.001, seconds: 1, imagesPerSecond: 10, best: true)
        var later = old
        later.epoch = 2
        l.resume(step: 3, history: [old, later], validations: [(2, 0.8), (4, 0.9)])
        XCTAssertEqual(l.history, [old], "epochs past the checkpoint are dropped")
        XCTAssertEqual(l.best.bestStep, 2)
        XCTAssertEqual(l.replayFrom, 2, "its epoch comes again from the replays, from its start")
    }

    /// evaluations.jsonl: typed lines with the keys it always had; an undefined AUC is absent.
    func testAnEvaluationRecordKeepsItsKeysAndAnUndefinedAUCIsAbsent() throws {
        let result = EvaluationResult(step: 4, epoch: 2, validation: .init(loss: 0.25, accuracy: 0.9, f1: 0.8, auc: nil))
        let line = EvaluationRecord(result, source: .rank0, stepsPerEpoch: 2, best: true).jsonLine
        XCTAssertEqual(line, #"{"best":true,"epoch":2,"epoch_fraction":2,"source":"rank 0","step":4,"val_accuracy":0.9,"val_f1":0.8,"val_loss":0.25}"#)
        let evaluator = EvaluationRecord(EvaluationResult(step: 3, validation: nil, test: .init(loss: 0.5, accuracy: 0.75, f1: 0.5, auc: 0.5)),
                                         source: .evaluator, stepsPerEpoch: 2).jsonLine
        XCTAssertTrue(evaluator.contains(#""source":"evaluator""#) && evaluator.contains(#""test_auc":0.5"#), evaluator)
        XCTAssertFalse(evaluator.contains("val_") || evaluator.contains("best"), evaluator)
        let read = try XCTUnwrap(EvaluationRecord(jsonLine: Substring(line)))
        XCTAssertEqual(read.validation, result.validation)
        XCTAssertEqual(read.source, .rank0)
        XCTAssertNil(EvaluationRecord(jsonLine: "not json"))
        // A line an earlier version wrote (JSONSerialization's spelling).
        let legacy = try XCTUnwrap(EvaluationRecord(jsonLine: #"{"best" : false, "epoch" : 1, "epoch_fraction" : 1, "source" : "rank 0", "step" : 57, "val_accuracy" : 0.834, "val_auc" : 0.9, "val_f1" : 0.8, "val_loss" : 0.41}"#))
        XCTAssertEqual(legacy.validation?.accuracy, 0.834)
        XCTAssertEqual(legacy.validation?.auc, 0.9)
    }
}
