import XCTest
import Training

/// The choice of the kept checkpoint and early stopping's count, without processes.
final class BestTrackerTests: XCTestCase {
    func testABestWhoseCheckpointWasNeverWrittenGivesWayToTheNextBestEvaluatedOne() {
        var t = BestTracker(metric: .accuracy, patience: 0)
        XCTAssertEqual(t.record(step: 30, value: 0.975), true)
        // Rank 0's validation at the end of epoch 1: the best, before its checkpoint exists.
        XCTAssertEqual(t.record(step: 57, value: 1.0), true)
        // Later checkpoints only tie, so they never become the best on their own.
        XCTAssertEqual(t.record(step: 80, value: 1.0), false)
        XCTAssertEqual(t.record(step: 90, value: 1.0), false)
        XCTAssertEqual(t.bestStep, 57)
        // Step 57's upload was lost: the earliest of the equal others is the best now.
        t.forget(step: 57)
        XCTAssertEqual(t.bestStep, 80)
        XCTAssertEqual(t.bestValue, 1.0)
        XCTAssertEqual(t.record(step: 57, value: 1.0), nil, "its evaluation still counts as done")
        XCTAssertEqual(t.epochsWithoutImprovement, 2, "early stopping's count stands")
        t.forget(step: 80)
        t.forget(step: 90)
        XCTAssertEqual(t.bestStep, 30)
        t.forget(step: 30)
        XCTAssertNil(t.bestStep)
        XCTAssertEqual(t.summary, "no evaluation yet")
    }

    func testForgettingWorksForALossToo() {
        var t = BestTracker(metric: .loss, patience: 3)
        _ = t.record(step: 10, value: 0.5)
        _ = t.record(step: 20, value: 0.2)
        _ = t.record(step: 30, value: 0.3)
        t.forget(step: 20)
        XCTAssertEqual(t.bestStep, 30)
        t.forget(step: 99)  // never evaluated: nothing changes
        XCTAssertEqual(t.bestStep, 30)
    }
}

extension BestTrackerTests {
    /// One process counted an undefined metric (an AUC on one class) as an epoch without
    /// improvement, a cluster skipped it: both count it now.
    func testAnUndefinedMetricCountsTowardsPatience() {
        var t = BestTracker(metric: .auc, patience: 2)
        XCTAssertEqual(t.record(step: 10, value: 0.7), true)
        XCTAssertEqual(t.record(step: 20, value: nil), false)
        XCTAssertEqual(t.record(step: 20, value: 0.9), nil, "each step counts once")
        XCTAssertEqual(t.record(step: 30, value: nil), false)
        XCTAssertTrue(t.shouldStop)
        XCTAssertEqual(t.bestStep, 10)
        t.forget(step: 20)  // validated without a value: nothing to forget
        XCTAssertEqual(t.bestStep, 10)
    }
}
