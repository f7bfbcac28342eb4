import Coordination
import XCTest

/// The coordinator's loop never waits for a slow disk while training runs; what it drops and
/// keeps when the disk falls behind.
final class CheckpointWriteQueueTests: XCTestCase {
    func testDropsTheOldestMidEpochCheckpointAndKeepsEpochEnds() {
        var queue = CheckpointWriteQueue(capacity: 2, stepsPerEpoch: 100)
        XCTAssertEqual(queue.add(step: 50, bytes: [1]), .queued)
        XCTAssertEqual(queue.add(step: 100, bytes: [2]), .queued)
        XCTAssertEqual(queue.add(step: 150, bytes: [3]), .dropped(step: 50), "the mid-epoch one goes, not the epoch end")
        XCTAssertEqual(queue.steps, [100, 150])
        XCTAssertEqual(queue.add(step: 200, bytes: [4]), .dropped(step: 150))
        XCTAssertEqual(queue.steps, [100, 200])
        XCTAssertTrue(queue.contains(step: 200))
        XCTAssertFalse(queue.contains(step: 150))
    }

    func testOnlyAQueueOfEpochEndsMakesTheLoopWait() {
        var queue = CheckpointWriteQueue(capacity: 2, stepsPerEpoch: 10)
        XCTAssertEqual(queue.add(step: 10, bytes: []), .queued)
        XCTAssertEqual(queue.add(step: 20, bytes: []), .queued)
        XCTAssertEqual(queue.add(step: 25, bytes: []), .full, "the newest is never the one dropped")
        XCTAssertEqual(queue.steps, [10, 20, 25])
        XCTAssertEqual(queue.next()?.step, 10)
        XCTAssertEqual(queue.next()?.step, 20)
        XCTAssertEqual(queue.next()?.bytes, [])
        XCTAssertNil(queue.next())
        XCTAssertTrue(queue.isEmpty)
    }
}
