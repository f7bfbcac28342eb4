import XCTest
@testable import Training

/// The run's bookkeeping (epoch sums, best, patience, history) and its checkpoint form, without a run.
final class RunLedgerTests: XCTestCase {
    func stats(loss: Double, correct: Int, samples: Int) -> StepStats {
        var s = StepStats()
        s.loss = loss
        s.correct = correct
        s.samples = samples
        return s
    }

    /// An epoch of two steps of 10 images each.
    func trainEpoch(_ ledger: inout RunLedger, _ number: Int, value: Double??, seconds: Double = 2) -> EpochRecord {
        ledger.epoch.add(stats(loss: 6, correct: 7, samples: 10))
        ledger.epoch.add(stats(loss: 4, correct: 9, samples: 10))
        let validation = value.map { RunLedger.Validation(loss: 0.3, accuracy: $0, value: $0) }
        return ledger.closeEpoch(number, validation: validation, testAccuracy: nil, learningRate: 1e-3, seconds: seconds)
    }

    func testAnEpochRecordIsTheMeanOfItsStepsAndTheSumsStartAgain() {
        var ledger = RunLedger(metric: .accuracy, patience: 0, stepsPerEpoch: 2)
        let record = trainEpoch(&ledger, 1, value: .some(0.9), seconds: 4)
        XCTAssertEqual(record.trainLoss, 0.5)
        XCTAssertEqual(record.trainAccuracy, 0.8)
        XCTAssertEqual(record.imagesPerSecond, 5)
        XCTAssertEqual(record.validationAccuracy, 0.9)
        XCTAssertTrue(record.best)
        XCTAssertEqual(ledger.epoch, RunLedger.EpochSums())
        XCTAssertEqual(ledger.history, [record])
        XCTAssertEqual(ledger.bestEpoch, 1)
        XCTAssertEqual(ledger.best.bestStep, 2, "the best is named by its checkpoint's step")
    }

    /// The same rule in one process and in a cluster: patience counts epochs, and an epoch whose
    /// metric is undefined (an AUC on one class) is one without improvement.
    func testPatienceCountsEpochsAndAnUndefinedMetricIsNoImprovement() {
        var ledger = RunLedger(metric: .auc, patience: 2, stepsPerEpoch: 2)
        let epoch1 = trainEpoch(&ledger, 1, value: .some(0.8))
        XCTAssertTrue(epoch1.best)
        let epoch2 = trainEpoch(&ledger, 2, value: .some(nil))
        XCTAssertFalse(epoch2.best)
        XCTAssertFalse(ledger.shouldStop)
        let epoch3 = trainEpoch(&ledger, 3, value: .some(0.8))
        XCTAssertFalse(epoch3.best, "a tie does not improve")
        XCTAssertTrue(ledger.shouldStop)
        XCTAssertEqual(ledger.bestEpoch, 1)
        XCTAssertEqual(ledger.best.epochsWithoutImprovement, 2)
    }

    func testALossIsBetterLower() {
        var ledger = RunLedger(metric: .loss, patience: 1, stepsPerEpoch: 2)
        _ = trainEpoch(&ledger, 1, value: .some(0.5))
        let second = trainEpoch(&ledger, 2, value: .some(0.4))
        XCTAssertTrue(second.best)
        XCTAssertFalse(ledger.shouldStop)
        let third = trainEpoch(&ledger, 3, value: .some(0.6))
        XCTAssertFalse(third.best)
        XCTAssertTrue(ledger.shouldStop)
        XCTAssertEqual(ledger.bestEpoch, 2)
    }

    func testWithoutValidationTheNewestEpochIsKeptAndNothingStopsEarly() {
        var ledger = RunLedger(metric: .accuracy, patience: 1, stepsPerEpoch: 2)
        for epoch in 1...3 {
            let record = trainEpoch(&ledger, epoch, value: nil)
            XCTAssertTrue(record.best)
        }
        XCTAssertEqual(ledger.bestEpoch, 3)
        XCTAssertFalse(ledger.shouldStop)
        XCTAssertNil(ledger.history[2].validationAccuracy)
    }

    /// Interrupted mid-epoch, saved in a checkpoint's metadata and restored, the ledger ends the
    /// run as an uninterrupted one does: the same history, kept epoch and patience.
    func testAResumedLedgerContinuesExactly() throws {
        let values: [Double?] = [0.7, 0.9, nil, 0.85, 0.95]
        var whole = RunLedger(metric: .accuracy, patience: 3, stepsPerEpoch: 2)
        for (i, v) in values.enumerated() { _ = trainEpoch(&whole, i + 1, value: .some(v), seconds: Double(i) + 1.25) }

        var first = RunLedger(metric: .accuracy, patience: 3, stepsPerEpoch: 2)
        for (i, v) in values.prefix(3).enumerated() { _ = trainEpoch(&first, i + 1, value: .some(v), seconds: Double(i) + 1.25) }
        first.epoch.add(stats(loss: 6, correct: 7, samples: 10))
        first.epoch.seconds = 0.1
        let saved = first.progress
        XCTAssertTrue(RunLedger.hasHistory(saved))
        var resumed = try RunLedger(progress: saved, metric: .accuracy, patience: 3, stepsPerEpoch: 2)
        XCTAssertEqual(resumed.progress, saved)
        XCTAssertEqual(resumed.history, first.history)
        XCTAssertEqual(resumed.epoch, first.epoch)
        XCTAssertEqual(resumed.bestEpoch, 2)
        XCTAssertEqual(resumed.best.epochsWithoutImprovement, 1)

        resumed.epoch.add(stats(loss: 4, correct: 9, samples: 10))
        _ = resumed.closeEpoch(4, validation: RunLedger.Validation(loss: 0.3, accuracy: 0.85, value: 0.85), testAccuracy: nil,
                               learningRate: 1e-3, seconds: 4.25)
        _ = trainEpoch(&resumed, 5, value: .some(0.95), seconds: 5.25)
        XCTAssertEqual(resumed.history, whole.history)
        XCTAssertEqual(resumed.progress, whole.progress)
        XCTAssertEqual(resumed.bestEpoch, 5)
    }

    func testADivergedEpochsNaNSurvivesTheCheckpoint() throws {
        var ledger = RunLedger(metric: .accuracy, patience: 0, stepsPerEpoch: 1)
        ledger.epoch.add(stats(loss: .nan, correct: 1, samples: 2))
        _ = ledger.closeEpoch(1, validation: nil, testAccuracy: nil, learningRate: 1e-3, seconds: 1)
        let restored = try RunLedger(progress: ledger.progress, metric: .accuracy, patience: 0, stepsPerEpoch: 1)
        XCTAssertTrue(restored.history[0].trainLoss.isNaN)
        XCTAssertEqual(restored.history[0].trainAccuracy, 0.5)
    }

    func testAnEarlierVersionsCheckpointHasNoHistoryAndBadOnesAreRefusedByName() throws {
        let old = ["best_epoch": "2", "epochs_without_best": "1", "epoch_loss_sum": "3.5", "epoch_correct": "4", "epoch_seen": "8",
                   "epoch_seconds": "1.5", "best_value": "0.9"]
        XCTAssertFalse(RunLedger.hasHistory(old))
        let ledger = try RunLedger(progress: old, metric: .accuracy, patience: 2, stepsPerEpoch: 10)
        XCTAssertEqual(ledger.best.bestStep, 20)
        XCTAssertEqual(ledger.best.bestValue, 0.9)
        XCTAssertEqual(ledger.epoch.samples, 8)
        XCTAssertEqual(ledger.history, [])
        XCTAssertEqual(try RunLedger(progress: [:], metric: .accuracy, patience: 2, stepsPerEpoch: 10).bestEpoch, 0)

        var bad = old
        bad["history"] = "[{\"epoch\": \"one\"}]"
        XCTAssertThrowsError(try RunLedger(progress: bad, metric: .accuracy, patience: 2, stepsPerEpoch: 10)) { error in
            XCTAssertTrue("\(error)".contains("metadata 'progress.history' is not a list of epoch records"), "\(error)")
        }
        bad = old
        bad["epoch_correct"] = "9"
        XCTAssertThrowsError(try RunLedger(progress: bad, metric: .accuracy, patience: 2, stepsPerEpoch: 10)) { error in
            XCTAssertTrue("\(error)".contains("expected at most 'progress.epoch_seen' (8)"), "\(error)")
        }
    }

    func testTheLedgerIsCodableWhole() throws {
        var ledger = RunLedger(metric: .f1, patience: 4, stepsPerEpoch: 3)
        _ = trainEpoch(&ledger, 1, value: .some(0.6))
        _ = trainEpoch(&ledger, 2, value: .some(nil))
        ledger.epoch.add(stats(loss: 1.5, correct: 2, samples: 4))
        let decoded = try JSONDecoder().decode(RunLedger.self, from: JSONEncoder().encode(ledger))
        XCTAssertEqual(decoded, ledger)
    }
}
