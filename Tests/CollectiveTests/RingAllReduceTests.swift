import Collective
import Foundation
import XCTest

/// Per-rank buffers shared with rank threads; each thread touches only its own rank's buffer.
final class RankBuffers: @unchecked Sendable {
    let buffers: [UnsafeMutableBufferPointer<Float>]
    var reports: [RingAllReduceReport]

    /// Rank r's element i is (3 i + 5 r) mod 97: integers, so sums are exact.
    init(worldSize: Int, elementCount: Int) {
        buffers = (0..<worldSize).map { r in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: elementCount)
            for i in 0..<elementCount { buffer[i] = Self.value(element: i, rank: r) }
            return buffer
        }
        reports = Array(repeating: RingAllReduceReport(), count: worldSize)
    }

    deinit { buffers.forEach { $0.deallocate() } }

    static func value(element i: Int, rank r: Int) -> Float { Float((3 * i + 5 * r) % 97) }

    /// The naive twin: the sum over ranks, element by element.
    static func expected(worldSize: Int, elementCount: Int) -> [Float] {
        (0..<elementCount).map { i in (0..<worldSize).reduce(Float(0)) { $0 + value(element: i, rank: $1) } }
    }
}

final class RingAllReduceTests: XCTestCase {
    func testInMemoryRingGivesExactSumsOnEveryRank() {
        for n in 1...5 {
            for (count, chunk) in [(0, 4), (1, 4), (n + 1, 1), (1000, 7), (4099, 512)] {
                let ring = InMemoryRing(worldSize: n)
                let data = RankBuffers(worldSize: n, elementCount: count)
                let errors = runOnThreads(n) { rank in
                    let schedule = RingSchedule(worldSize: n, rank: rank, elementCount: count, chunkElements: chunk)
                    data.reports[rank] = try RingAllReduce.run(buffer: data.buffers[rank], schedule: schedule,
                                                               link: ring.link(rank: rank), generation: 3, step: 9,
                                                               timeoutMilliseconds: 5_000)
                }
                XCTAssertEqual(errors, Array(repeating: nil, count: n), "N=\(n) count=\(count)")
                let expected = RankBuffers.expected(worldSize: n, elementCount: count)
                for r in 0..<n {
                    XCTAssertEqual(Array(data.buffers[r]), expected, "N=\(n) count=\(count) chunk=\(chunk) rank \(r)")
                    XCTAssertEqual(data.reports[r].droppedFrames, 0)
                }
            }
        }
    }

    /// With values whose sums round, every rank must still end with the same bits, and those bits
    /// must be the naive sum taken in ring order: segment s starts at rank s and each following
    /// rank adds its own value (the order the trainer's reproducibility rests on).
    func testRoundedSumsAreBitwiseIdenticalAndInRingOrder() {
        var generator = SystemRandomNumberGenerator()
        for n in 2...5 {
            let count = 1_003
            let values = (0..<n).map { _ in (0..<count).map { _ in Float.random(in: -1e3...1e3, using: &generator) * Float.random(in: 1e-4...1, using: &generator) } }
            let buffers = RankBuffers(worldSize: n, elementCount: count)
            for r in 0..<n { for i in 0..<count { buffers.buffers[r][i] = values[r][i] } }
            let ring = InMemoryRing(worldSize: n)
            let errors = runOnThreads(n) { rank in
                let schedule = RingSchedule(worldSize: n, rank: rank, elementCount: count, chunkElements: 64)
                buffers.reports[rank] = try RingAllReduce.run(buffer: buffers.buffers[rank], schedule: schedule,
                                                              link: ring.link(rank: rank), generation: 1, step: 1,
                                                              timeoutMilliseconds: 5_000)
            }
            XCTAssertEqual(errors, Array(repeating: nil, count: n))
            let plan = RingSchedule(worldSize: n, rank: 0, elementCount: count, chunkElements: 64)
            var expected = [Float](repeating: 0, count: count)
            for s in 0..<n {
                for i in plan.segment(s) {
                    var sum = values[s][i]
                    for k in 1..<n { sum = sum + values[(s + k) % n][i] }
                    expected[i] = sum
                }
            }
            for r in 0..<n {
                let wrong = (0..<count).filter { buffers.buffers[r][$0].bitPattern != expected[$0].bitPattern }
                XCTAssertEqual(wrong.count, 0, "N=\(n) rank \(r): \(wrong.count) elements differ from the ring-order sum, first \(wrong.first.map { "element \($0): \(buffers.buffers[r][$0]) instead of \(expected[$0])" } ?? "")")
            }
        }
    }

    /// The cluster overlaps backward with an all-reduce of the dense layers' window, then reduces
    /// the rest: two windows, one after the other on the same links, must give the very bits of
    /// one all-reduce of the whole buffer.
    func testWindowsCoveringTheBufferGiveTheBitsOfOneAllReduce() {
        var generator = SystemRandomNumberGenerator()
        for n in 2...5 {
            let count = 2_011, split = 317
            let values = (0..<n).map { _ in (0..<count).map { _ in Float.random(in: -1...1, using: &generator) * 1e3 } }
            let whole = RankBuffers(worldSize: n, elementCount: count), windowed = RankBuffers(worldSize: n, elementCount: count)
            for r in 0..<n { for i in 0..<count { whole.buffers[r][i] = values[r][i]; windowed.buffers[r][i] = values[r][i] } }
            let ring = InMemoryRing(worldSize: n)
            let errors = runOnThreads(n) { rank in
                let link = ring.link(rank: rank)
                _ = try RingAllReduce.run(buffer: whole.buffers[rank],
                                          schedule: RingSchedule(worldSize: n, rank: rank, elementCount: count, chunkElements: 50),
                                          link: link, generation: 1, step: 1, timeoutMilliseconds: 5_000)
                for window in [split..<count, 0..<split] {
                    _ = try RingAllReduce.run(buffer: windowed.buffers[rank],
                                              schedule: RingSchedule(worldSize: n, rank: rank, elementCount: count, chunkElements: 50, window: window),
                                              link: link, generation: 1, step: 2, timeoutMilliseconds: 5_000)
                }
            }
            XCTAssertEqual(errors, Array(repeating: nil, count: n))
            for r in 0..<n {
                let wrong = (0..<count).filter { whole.buffers[r][$0].bitPattern != windowed.buffers[r][$0].bitPattern }
                XCTAssertEqual(wrong.count, 0, "N=\(n) rank \(r): \(wrong.count) elements differ, first \(wrong.first.map(String.init) ?? "")")
                XCTAssertNotEqual(Array(whole.buffers[r]), values[r], "the all-reduce summed something")
            }
        }
    }

    func testStaleFramesAreDroppedNotSummed() throws {
        let n = 3, count = 300
        let ring = InMemoryRing(worldSize: n)
        // Frames of an older generation and of another training step, full of garbage, queued
        // ahead of the real ones for rank 1.
        for (generation, step) in [(UInt64(6), UInt32(9)), (UInt64(7), UInt32(8))] {
            let schedule = RingSchedule(worldSize: n, rank: 1, elementCount: count, chunkElements: 50)
            let range = schedule.chunk(0, ofSegment: schedule.step(0).receiveSegment)
            let header = RingFrameHeader(generation: generation, step: step, phase: .reduceScatter, ringStep: 0, chunk: 0,
                                         elementOffset: UInt64(range.lowerBound), elementCount: UInt32(range.count))
            let garbage = [Float](repeating: 1e6, count: range.count)
            ring.push(to: 1, header: header.encoded(), payload: garbage.withUnsafeBytes { Array($0) })
        }
        let data = RankBuffers(worldSize: n, elementCount: count)
        let errors = runOnThreads(n) { rank in
            let schedule = RingSchedule(worldSize: n, rank: rank, elementCount: count, chunkElements: 50)
            data.reports[rank] = try RingAllReduce.run(buffer: data.buffers[rank], schedule: schedule,
                                                       link: ring.link(rank: rank), generation: 7, step: 9,
                                                       timeoutMilliseconds: 5_000)
        }
        XCTAssertEqual(errors, [nil, nil, nil])
        XCTAssertEqual(data.reports.map(\.droppedFrames), [0, 2, 0])
        let expected = RankBuffers.expected(worldSize: n, elementCount: count)
        for r in 0..<n { XCTAssertEqual(Array(data.buffers[r]), expected, "rank \(r)") }
    }

    func testSilentPredecessorTimesOutNamingIt() {
        let ring = InMemoryRing(worldSize: 3)
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 30)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 1)
        let schedule = RingSchedule(worldSize: 3, rank: 2, elementCount: 30, chunkElements: 8)
        XCTAssertThrowsError(try RingAllReduce.run(buffer: buffer, schedule: schedule, link: ring.link(rank: 2),
                                                   generation: 1, step: 1, timeoutMilliseconds: 50)) { error in
            XCTAssertEqual(error as? RingAllReduceError,
                           .timeout(peerRank: 1, phase: .reduceScatter, ringStep: 0, chunk: 0, waitedMilliseconds: 50))
        }
    }

    /// Junk on a ring port (anyone can reach it on plain TCP) is dropped and counted, never
    /// fatal: a frame that does not decode, and one that claims this step but another place in
    /// it, arrive before the real frames; the sums are still exact.
    func testJunkFramesAreDroppedAndTheSumsStayExact() {
        let ring = InMemoryRing(worldSize: 2)
        let outOfPlace = RingFrameHeader(generation: 3, step: 9, phase: .reduceScatter, ringStep: 0, chunk: 1,
                                         elementOffset: 0, elementCount: 2)
        ring.push(to: 0, header: outOfPlace.encoded(), payload: [UInt8](repeating: 0xff, count: 8))
        ring.push(to: 0, header: [UInt8](repeating: 0x41, count: RingFrameHeader.byteCount), payload: [1, 2, 3])
        ring.push(to: 1, header: [0, 1], payload: [])
        let data = RankBuffers(worldSize: 2, elementCount: 8)
        let errors = runOnThreads(2) { rank in
            let schedule = RingSchedule(worldSize: 2, rank: rank, elementCount: 8, chunkElements: 2)
            data.reports[rank] = try RingAllReduce.run(buffer: data.buffers[rank], schedule: schedule, link: ring.link(rank: rank),
                                                       generation: 3, step: 9, timeoutMilliseconds: 5_000)
        }
        XCTAssertEqual(errors, [nil, nil])
        let expected = RankBuffers.expected(worldSize: 2, elementCount: 8)
        for r in 0..<2 { XCTAssertEqual(Array(data.buffers[r]), expected, "rank \(r)") }
        XCTAssertEqual(data.reports.map(\.rejectedFrames), [2, 1])
        XCTAssertTrue(data.reports[0].firstRejection?.contains("expected ring step 0 chunk 0") == true, "\(data.reports[0])")
    }

    func testBufferOfWrongSizeIsRejected() {
        let ring = InMemoryRing(worldSize: 2)
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 8)
        defer { buffer.deallocate() }
        let schedule = RingSchedule(worldSize: 2, rank: 0, elementCount: 9, chunkElements: 2)
        XCTAssertThrowsError(try RingAllReduce.run(buffer: buffer, schedule: schedule, link: ring.link(rank: 0),
                                                   generation: 1, step: 1)) { error in
            XCTAssertEqual(error as? RingAllReduceError, .bufferSizeMismatch(expected: 9, found: 8))
        }
    }
}
