import XCTest
import Training

/// The one checkpoint cadence both loops run from, without a run.
final class StepPlanTests: XCTestCase {
    /// Two epochs of five steps, a checkpoint every three.
    let plan = StepPlan(epochs: 2, stepsPerEpoch: 5, checkpointEvery: 3)

    func testEveryStepKnowsItsEpochItsPlaceAndItsNumber() {
        let s = plan.step(5)
        XCTAssertEqual(s.index, 5)
        XCTAssertEqual(s.number, 6, "a step's number counts the steps done once it completes")
        XCTAssertEqual(s.epoch, 1)
        XCTAssertEqual(s.epochNumber, 2)
        XCTAssertEqual(s.inEpoch, 0)
        XCTAssertTrue(s.startsEpoch)
        XCTAssertFalse(s.isEpochEnd)
        XCTAssertEqual(plan.totalSteps, 10)
        XCTAssertEqual(plan.lastIndex, 9)
        XCTAssertEqual((0..<12).filter(plan.runs), Array(0...9))
    }

    func testCheckpointsFallOnTheCadenceTheEpochEndsAndTheLastStep() {
        XCTAssertEqual((0..<10).filter { plan.step($0).checkpointDue }.map { plan.step($0).number }, [3, 5, 6, 9, 10])
        XCTAssertEqual((0..<10).filter { plan.step($0).isEpochEnd }.map { plan.step($0).number }, [5, 10])
        XCTAssertEqual((0..<10).filter { plan.step($0).isLast }, [9])
        let epochEndsOnly = StepPlan(epochs: 2, stepsPerEpoch: 5, checkpointEvery: 0)
        XCTAssertEqual((0..<10).filter { epochEndsOnly.step($0).checkpointDue }.map { epochEndsOnly.step($0).number }, [5, 10])
    }

    func testEarlyStoppingsFinishStepIsTheLastAndIsCheckpointed() {
        var p = plan
        p.finishAfter = 4  // patience ran out at the first epoch's end
        XCTAssertEqual(p.lastIndex, 4)
        XCTAssertTrue(p.step(4).isLast)
        XCTAssertFalse(p.runs(5))
        // A graceful stop inside an epoch: the state after it is still consolidated.
        p.finishAfter = 6
        XCTAssertTrue(p.step(6).isLast)
        XCTAssertTrue(p.step(6).checkpointDue)
        XCTAssertFalse(p.step(6).isEpochEnd)
        XCTAssertFalse(p.runs(7))
        // A stop named past the run's end changes nothing.
        p.finishAfter = 50
        XCTAssertEqual(p.lastIndex, 9)
    }

    func testARunWithoutStepsRunsNone() {
        let empty = StepPlan(epochs: 0, stepsPerEpoch: 5, checkpointEvery: 3)
        XCTAssertFalse(empty.runs(0))
        XCTAssertEqual(empty.lastIndex, -1)
    }

    func testTheConfigurationsPlan() {
        var config = TrainingConfig()
        config.epochs = 3
        config.checkpointEvery = 7
        let p = StepPlan(config: config, stepsPerEpoch: 4)
        XCTAssertEqual(p, StepPlan(epochs: 3, stepsPerEpoch: 4, checkpointEvery: 7))
        XCTAssertEqual((0..<12).filter { p.step($0).checkpointDue }.map { p.step($0).number }, [4, 7, 8, 12])
    }
}
