import XCTest
@testable import Cluster
import Training

/// The coordinator's choice of the kept checkpoint, without processes.
final class BestTrackerTests: XCTestCase {
    func testABestWhoseCheckpointWasNeverWrittenGivesWayToTheNextBestEvaluatedOne() {
        var t = BestTracker(metric: .valAccuracy, patience: 0)
        XCTAssertEqual(t.record(step: 30, values: ["val_accuracy": 0.975]), true)
        // Rank 0's validation at the end of epoch 1: the best, before its checkpoint exists.
        XCTAssertEqual(t.record(step: 57, values: ["val_accuracy": 1.0]), true)
        // Later checkpoints only tie, so they never become the best on their own.
        XCTAssertEqual(t.record(step: 80, values: ["val_accuracy": 1.0]), false)
        XCTAssertEqual(t.record(step: 90, values: ["val_accuracy": 1.0]), false)
        XCTAssertEqual(t.bestStep, 57)
        // Step 57's upload was lost: the earliest of the equal others is the best now.
        t.forget(step: 57)
        XCTAssertEqual(t.bestStep, 80)
        XCTAssertEqual(t.bestValue, 1.0)
        XCTAssertEqual(t.record(step: 57, values: ["val_accuracy": 1.0]), nil, "its evaluation still counts as done")
        XCTAssertEqual(t.evaluationsWithoutImprovement, 2, "early stopping's count stands")
        t.forget(step: 80)
        t.forget(step: 90)
        XCTAssertEqual(t.bestStep, 30)
        t.forget(step: 30)
        XCTAssertNil(t.bestStep)
        XCTAssertEqual(t.summary, "no evaluation yet")
    }

    func testForgettingWorksForALossToo() {
        var t = BestTracker(metric: .valLoss, patience: 3)
        _ = t.record(step: 10, values: ["val_loss": 0.5])
        _ = t.record(step: 20, values: ["val_loss": 0.2])
        _ = t.record(step: 30, values: ["val_loss": 0.3])
        t.forget(step: 20)
        XCTAssertEqual(t.bestStep, 30)
        t.forget(step: 99)  // never evaluated: nothing changes
        XCTAssertEqual(t.bestStep, 30)
    }
}
