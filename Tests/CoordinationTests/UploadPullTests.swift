import Coordination
import XCTest

final class UploadPullTests: XCTestCase {
    func testAsksForAWindowAheadAndMoreAsRangesArrive() {
        var pull = UploadPull(step: 9, total: 10_000, now: 0, chunkBytes: 1_000, window: 3_000)
        XCTAssertEqual(pull.requests(now: 0).map(\.offset), [0, 1_000, 2_000], "a window's worth, no more")
        XCTAssertEqual(pull.requests(now: 1).count, 0, "nothing new until something arrives")
        XCTAssertTrue(pull.accept(offset: 0, count: 1_000, now: 2))
        XCTAssertEqual(pull.requests(now: 2).map(\.offset), [3_000])
        XCTAssertFalse(pull.accept(offset: 2_000, count: 1_000, now: 2), "past a gap: ignored")
        XCTAssertFalse(pull.accept(offset: 0, count: 1_000, now: 2), "a duplicate: ignored")
        for offset in stride(from: 1_000, to: 10_000, by: 1_000) {
            _ = pull.requests(now: 3)
            XCTAssertTrue(pull.accept(offset: offset, count: 1_000, now: 3), "offset \(offset)")
        }
        XCTAssertTrue(pull.isComplete)
        XCTAssertEqual(pull.requests(now: 4).count, 0)
    }

    func testALostRangeIsAskedForAgainAfterTheStall() {
        var pull = UploadPull(step: 1, total: 2_500, now: 0, chunkBytes: 1_000, window: 2_000, stallSeconds: 10)
        XCTAssertEqual(pull.requests(now: 0).map(\.length), [1_000, 1_000])
        XCTAssertEqual(pull.requests(now: 9.9).count, 0, "a slow link is waited for")
        XCTAssertEqual(pull.requests(now: 10).map(\.offset), [0, 1_000], "then asked again from the first missing byte")
        XCTAssertTrue(pull.accept(offset: 0, count: 1_000, now: 11))
        XCTAssertTrue(pull.accept(offset: 1_000, count: 1_000, now: 11))
        XCTAssertEqual(pull.requests(now: 11).map { [$0.offset, $0.length] }, [[2_000, 500]], "the last range is short")
        XCTAssertFalse(pull.accept(offset: 2_000, count: 600, now: 12), "more than the offer: refused")
        XCTAssertTrue(pull.accept(offset: 2_000, count: 500, now: 12))
        XCTAssertTrue(pull.isComplete)
    }

    func testAnEmptyUploadIsCompleteAtOnce() {
        var pull = UploadPull(step: 0, total: 0, now: 0)
        XCTAssertTrue(pull.isComplete)
        XCTAssertEqual(pull.requests(now: 0).count, 0)
    }
}
