import XCTest
@testable import Coordination

final class ShardPlanTests: XCTestCase {
    func testSlicesCoverEveryGlobalBatchExactlyOnce() {
        for worldSize in 1 ... 8 {
            for batch in 0 ... 67 {
                var seen = Array(repeating: 0, count: batch)
                var expectedStart = 0
                var sizes: [Int] = []
                for rank in 0 ..< worldSize {
                    let s = ShardPlan.slice(globalBatch: batch, worldSize: worldSize, rank: rank)
                    XCTAssertEqual(s.lowerBound, expectedStart, "contiguous: N \(worldSize) B \(batch) rank \(rank)")
                    expectedStart = s.upperBound
                    for i in s { seen[i] += 1 }
                    sizes.append(s.count)
                }
                XCTAssertEqual(expectedStart, batch)
                XCTAssertTrue(seen.allSatisfy { $0 == 1 }, "N \(worldSize) B \(batch): \(seen)")
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "balanced: N \(worldSize) B \(batch) \(sizes)")
            }
        }
        XCTAssertEqual(ShardPlan.slice(globalBatch: 10, worldSize: 4, rank: 0), 0 ..< 2)
        XCTAssertEqual(ShardPlan.slice(globalBatch: 10, worldSize: 4, rank: 1), 2 ..< 5)
        XCTAssertEqual(ShardPlan.slice(globalBatch: 10, worldSize: 4, rank: 3), 7 ..< 10)
    }

    func testRingNeighbours() {
        XCTAssertEqual((0 ..< 4).map { RingOrder.successor(of: $0, worldSize: 4) }, [1, 2, 3, 0])
        XCTAssertEqual((0 ..< 4).map { RingOrder.predecessor(of: $0, worldSize: 4) }, [3, 0, 1, 2])
        XCTAssertEqual(RingOrder.successor(of: 0, worldSize: 1), 0)
    }
}

final class PeerIDTests: XCTestCase {
    func testDescriptionIsTextWhenPrintableElseHex() {
        XCTAssertEqual(PeerID("peer-1").description, "peer-1")
        XCTAssertEqual(PeerID([0x00, 0x6b, 0x8b, 0x45, 0x67]).description, "0x006b8b4567")
    }
}
