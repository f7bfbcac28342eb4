import Collective
import Foundation
import Transport
import XCTest

final class ZeroMQRingLinkTests: XCTestCase {
    /// Each rank's buffer; each thread touches only its own rank's entry.
    final class Ranks: @unchecked Sendable {
        let buffers: [UnsafeMutableBufferPointer<Float>]
        var reports: [RingAllReduceReport]
        let links: [ZeroMQRingLink]

        init(links: [ZeroMQRingLink], elementCount: Int) {
            self.links = links
            buffers = links.indices.map { r in
                let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: elementCount)
                for i in 0..<elementCount { buffer[i] = Ranks.value(i, r) }
                return buffer
            }
            reports = Array(repeating: RingAllReduceReport(), count: links.count)
        }

        deinit { buffers.forEach { $0.deallocate() } }

        static func value(_ i: Int, _ r: Int) -> Float { Float((11 * i + 17 * r) % 501) }
    }

    func testThreeRanksOverRealSocketsSumExactlyAndDropStaleFrames() throws {
        let n = 3, count = 300_007
        let context = try ZMQContext()
        let links = try (0..<n).map { _ in try ZeroMQRingLink(context: context) }
        for r in 0..<n { try links[r].connect(successor: links[(r + 1) % n].boundEndpoint) }
        let ranks = Ranks(links: links, elementCount: count)

        // Rank 0 first sends its successor a frame of the previous generation, full of garbage.
        let stale = RingFrameHeader(generation: 41, step: 5, phase: .reduceScatter, ringStep: 0, chunk: 0,
                                    elementOffset: 0, elementCount: 4).encoded()
        let garbage = [Float](repeating: 1e9, count: 4)
        try stale.withUnsafeBytes { header in
            try garbage.withUnsafeBytes { payload in try links[0].send(header: header, payload: payload) }
        }

        let expected = (0..<count).map { i in (0..<n).reduce(Float(0)) { $0 + Ranks.value(i, $1) } }
        for step in UInt32(5)...UInt32(6) {
            for r in 0..<n { for i in 0..<count { ranks.buffers[r][i] = Ranks.value(i, r) } }
            let errors = runRanks(n) { rank in
                let schedule = RingSchedule(worldSize: n, rank: rank, elementCount: count, chunkElements: 16_384)
                ranks.reports[rank] = try RingAllReduce.run(buffer: ranks.buffers[rank], schedule: schedule,
                                                            link: ranks.links[rank], generation: 42, step: step,
                                                            timeoutMilliseconds: 10_000)
            }
            XCTAssertEqual(errors, [nil, nil, nil])
            XCTAssertEqual(ranks.reports.map(\.droppedFrames), step == 5 ? [0, 1, 0] : [0, 0, 0])
            for r in 0..<n {
                XCTAssertTrue(ranks.buffers[r].elementsEqual(expected), "step \(step) rank \(r)")
            }
        }
        links.forEach { $0.close() }
    }

    /// Four ranks, two links over abstract Unix sockets and two over TCP (as workers on two hosts
    /// would be): values whose sums round must come out bitwise identical on every rank, equal to
    /// the ring-order sum, across several all-reduces (forwarded frames, reused buffers).
    func testMixedUnixAndTCPLinksGiveBitwiseIdenticalRingOrderSums() throws {
        let n = 4, count = 1_000_003
        let context = try ZMQContext()
        let links = try (0..<n).map { _ in try ZeroMQRingLink(context: context) }
        let local = try links.map { try $0.bindLocal(HostLocality.abstractEndpoint("test")) }
        XCTAssertTrue(local.allSatisfy { $0.hasPrefix("ipc://@cifake-test-") }, "\(local)")
        for r in 0..<n {
            let successor = (r + 1) % n
            try links[r].connect(successor: r % 2 == 0 ? local[successor] : links[successor].boundEndpoint)
        }
        let ranks = Ranks(links: links, elementCount: count)
        var generator = SystemRandomNumberGenerator()
        for step in UInt32(1)...UInt32(3) {
            let values = (0..<n).map { _ in (0..<count).map { _ in Float.random(in: -1...1, using: &generator) * 1e3 } }
            for r in 0..<n { for i in 0..<count { ranks.buffers[r][i] = values[r][i] } }
            let errors = runRanks(n) { rank in
                let schedule = RingSchedule(worldSize: n, rank: rank, elementCount: count, chunkElements: 65_536)
                ranks.reports[rank] = try RingAllReduce.run(buffer: ranks.buffers[rank], schedule: schedule,
                                                            link: ranks.links[rank], generation: 1, step: step,
                                                            timeoutMilliseconds: 10_000)
            }
            XCTAssertEqual(errors, Array(repeating: nil, count: n))
            let plan = RingSchedule(worldSize: n, rank: 0, elementCount: count, chunkElements: 65_536)
            for s in 0..<n {
                for i in plan.segment(s) {
                    var sum = values[s][i]
                    for k in 1..<n { sum = sum + values[(s + k) % n][i] }
                    for r in 0..<n where ranks.buffers[r][i].bitPattern != sum.bitPattern {
                        return XCTFail("step \(step) rank \(r) element \(i): \(ranks.buffers[r][i]) instead of the ring-order sum \(sum)")
                    }
                }
            }
        }
        links.forEach { $0.close() }
    }

    func testSilentPredecessorTimesOutWithTypedError() throws {
        let context = try ZMQContext()
        let link = try ZeroMQRingLink(context: context)
        let sink = try ZMQSocket(context: context, type: .pull)
        try sink.bind("tcp://127.0.0.1:*")
        try link.connect(successor: try sink.lastEndpoint())
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 1000)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 1)
        let schedule = RingSchedule(worldSize: 2, rank: 0, elementCount: 1000, chunkElements: 100)
        XCTAssertThrowsError(try RingAllReduce.run(buffer: buffer, schedule: schedule, link: link, generation: 1,
                                                   step: 1, timeoutMilliseconds: 100)) { error in
            XCTAssertEqual(error as? RingAllReduceError,
                           .timeout(peerRank: 1, phase: .reduceScatter, ringStep: 0, chunk: 0, waitedMilliseconds: 100))
        }
        link.close()
    }

    /// Runs `body(rank)` on dedicated threads (blocking ZeroMQ calls never on the cooperative pool).
    private func runRanks(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) -> [String?] {
        final class Errors: @unchecked Sendable {
            let lock = NSLock()
            var values: [String?]
            init(_ count: Int) { values = Array(repeating: nil, count: count) }
        }
        let errors = Errors(count)
        let group = DispatchGroup()
        for rank in 0..<count {
            group.enter()
            Thread {
                do { try body(rank) } catch {
                    errors.lock.lock()
                    errors.values[rank] = "\(error)"
                    errors.lock.unlock()
                }
                group.leave()
            }.start()
        }
        group.wait()
        return errors.values
    }
}
