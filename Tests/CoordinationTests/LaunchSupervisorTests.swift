import XCTest
@testable import Coordination

final class LaunchSupervisorTests: XCTestCase {
    private func logs(_ directives: [LaunchSupervisor.Directive]) -> [String] {
        directives.compactMap { if case .log(let text) = $0 { text } else { nil } }
    }

    func testFailedWorkersAreRestartedFromOneBudgetThenLetGo() {
        var s = LaunchSupervisor(workers: 3, minWorkers: 2, maxRestarts: 2)
        let first = s.onExit(.worker(2), .signal(9), coordinatorRunning: true)
        XCTAssertEqual(first.last, .restart(.worker(2)))
        XCTAssertEqual(logs(first), ["worker 2 was killed by signal 9 (SIGKILL): restarting it to rejoin as a new incarnation (1 of --max-restarts 2 left, for all workers)"])
        // The budget is shared: another worker's failure takes the last restart.
        XCTAssertEqual(s.onExit(.worker(0), .status(1), coordinatorRunning: true).last, .restart(.worker(0)))
        XCTAssertEqual(s.workerRestartsLeft, 0)
        XCTAssertEqual(s.runningWorkers, [0, 1, 2])
        // Beyond it: let go; 2 remain, enough for --min-workers 2.
        let third = s.onExit(.worker(1), .status(134), coordinatorRunning: true)
        XCTAssertFalse(third.contains(.restart(.worker(1))))
        XCTAssertTrue(logs(third)[0].hasSuffix("the run goes on with 2 worker(s) (--min-workers 2)"), logs(third)[0])
        // One more: below the minimum, and the log says what the coordinator then does.
        let fourth = logs(s.onExit(.worker(0), .signal(11), coordinatorRunning: true))
        XCTAssertTrue(fourth[0].contains("(SIGSEGV)") && fourth[0].contains("fewer than --min-workers 2"), fourth[0])
        XCTAssertEqual(s.runningWorkers, [2])
    }

    func testCleanExitsAndExitsAfterTheCoordinatorStoppedAreNotRestarted() {
        var s = LaunchSupervisor(workers: 2, minWorkers: 2, maxRestarts: 3)
        XCTAssertEqual(s.onExit(.worker(0), .status(0), coordinatorRunning: true), [])
        XCTAssertEqual(s.onExit(.worker(1), .status(1), coordinatorRunning: false), [])
        XCTAssertEqual(s.onExit(.evaluator, .signal(9), coordinatorRunning: false), [])
        XCTAssertEqual(s.workerRestartsUsed, 0)
        XCTAssertEqual(s.runningWorkers, [])
    }

    func testTheEvaluatorHasABudgetOfItsOwn() {
        var s = LaunchSupervisor(workers: 2, minWorkers: 2, maxRestarts: 1)
        XCTAssertEqual(s.onExit(.evaluator, .signal(9), coordinatorRunning: true).last, .restart(.evaluator))
        XCTAssertEqual(logs(s.onExit(.evaluator, .signal(9), coordinatorRunning: true)),
                       ["evaluator was killed by signal 9 (SIGKILL) and its 1 restarts are used: the run goes on without it"])
        XCTAssertEqual(s.workerRestartsLeft, 1, "the workers' budget is untouched")
        XCTAssertEqual(s.onExit(.worker(1), .signal(15), coordinatorRunning: true).last, .restart(.worker(1)))
    }

    func testNoRestartsAtAllWithAZeroBudget() {
        var s = LaunchSupervisor(workers: 1, minWorkers: 1, maxRestarts: 0)
        let directives = s.onExit(.worker(0), .status(1), coordinatorRunning: true)
        XCTAssertEqual(directives.count, 1)
        XCTAssertTrue(logs(directives)[0].contains("0 worker(s) left, fewer than --min-workers 1"), logs(directives)[0])
    }
}
