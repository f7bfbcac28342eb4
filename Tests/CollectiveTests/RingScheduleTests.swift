import Collective
import XCTest

final class RingScheduleTests: XCTestCase {
    private let elementCounts = [0, 1, 2, 5, 13, 100, 1001]
    private let chunkSizes = [1, 3, 64, 4096]

    func testSegmentsTileTheBufferNearEqually() {
        for n in 1...7 {
            for count in elementCounts {
                let schedule = RingSchedule(worldSize: n, rank: 0, elementCount: count, chunkElements: 7)
                var next = 0
                var sizes: [Int] = []
                for s in 0..<n {
                    let range = schedule.segment(s)
                    XCTAssertEqual(range.lowerBound, next, "N=\(n) count=\(count) segment \(s)")
                    next = range.upperBound
                    sizes.append(range.count)
                }
                XCTAssertEqual(next, count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "N=\(n) count=\(count) sizes \(sizes)")
            }
        }
    }

    func testChunksTileEachSegment() {
        for n in 1...7 {
            for count in elementCounts {
                for chunk in chunkSizes {
                    let schedule = RingSchedule(worldSize: n, rank: n - 1, elementCount: count, chunkElements: chunk)
                    for s in 0..<n {
                        let segment = schedule.segment(s)
                        var next = segment.lowerBound
                        for c in 0..<schedule.chunkCount(segment: s) {
                            let range = schedule.chunk(c, ofSegment: s)
                            XCTAssertEqual(range.lowerBound, next)
                            XCTAssertGreaterThan(range.count, 0)
                            XCTAssertLessThanOrEqual(range.count, chunk)
                            next = range.upperBound
                        }
                        XCTAssertEqual(next, segment.upperBound, "N=\(n) count=\(count) chunk=\(chunk) segment \(s)")
                    }
                }
            }
        }
    }

    func testStepsAgreeAcrossRanksAndPipeline() {
        for n in 1...7 {
            let schedules = (0..<n).map { RingSchedule(worldSize: n, rank: $0, elementCount: 100, chunkElements: 9) }
            XCTAssertEqual(schedules[0].stepCount, 2 * (n - 1))
            for k in 0..<schedules[0].stepCount {
                for r in 0..<n {
                    let mine = schedules[r].step(k)
                    let successor = schedules[schedules[r].successor].step(k)
                    // What r sends in step k is what its successor expects in step k.
                    XCTAssertEqual(mine.sendSegment, successor.receiveSegment, "N=\(n) step \(k) rank \(r)")
                    XCTAssertEqual(mine.phase, k < n - 1 ? .reduceScatter : .allGather)
                    if k + 1 < schedules[r].stepCount {
                        // Chunks flow: the segment received in step k is the one sent in step k+1.
                        XCTAssertEqual(schedules[r].step(k + 1).sendSegment, mine.receiveSegment)
                    }
                }
            }
        }
    }

    /// Every element ends up holding each rank's contribution exactly once, on every rank:
    /// tracked with bit masks of contributing ranks, and summing masks that overlap is a failure.
    func testEveryElementIsReducedOnceFromEveryRankAndGatheredEverywhere() {
        for n in 1...7 {
            let count = 3 * n + 2
            let schedules = (0..<n).map { RingSchedule(worldSize: n, rank: $0, elementCount: count, chunkElements: 2) }
            var masks = (0..<n).map { r in [Int](repeating: 1 << r, count: count) }
            for k in 0..<schedules[0].stepCount {
                let before = masks
                for r in 0..<n {
                    let step = schedules[r].step(k)
                    let sender = schedules[r].predecessor
                    for i in schedules[r].segment(step.receiveSegment) {
                        let incoming = before[sender][i]
                        if step.sums {
                            XCTAssertEqual(masks[r][i] & incoming, 0, "N=\(n) step \(k) rank \(r) element \(i) counted twice")
                            masks[r][i] |= incoming
                        } else {
                            masks[r][i] = incoming
                        }
                    }
                }
                if k == n - 2 {
                    for r in 0..<n {
                        for i in schedules[r].segment(schedules[r].ownedSegment) {
                            XCTAssertEqual(masks[r][i], (1 << n) - 1, "N=\(n) rank \(r) owned element \(i) after reduce-scatter")
                        }
                    }
                }
            }
            for r in 0..<n {
                XCTAssertEqual(masks[r], [Int](repeating: (1 << n) - 1, count: count), "N=\(n) rank \(r)")
            }
        }
    }
}
