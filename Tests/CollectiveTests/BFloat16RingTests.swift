import Collective
import Foundation
import XCTest

final class BFloat16RingTests: XCTestCase {
    func testRoundingIsToNearestEven() {
        XCTAssertEqual(BFloat16.round(1), 0x3F80)
        XCTAssertEqual(BFloat16.round(-2), 0xC000)
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
        XCTAssertEqual(BFloat16.rounded(1 + 0x1p-8), 1)
        // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: the even one is 1 + 2^-6.
        XCTAssertEqual(BFloat16.rounded(1 + 3 * 0x1p-8), 1 + 0x1p-6)
        XCTAssertEqual(BFloat16.rounded(1 + 0x1p-8 + 0x1p-20), 1 + 0x1p-7, "above halfway rounds up")
        XCTAssertEqual(BFloat16.rounded(.infinity), .infinity)
        XCTAssertEqual(BFloat16.rounded(.greatestFiniteMagnitude), .infinity, "beyond bfloat16's largest finite value")
        XCTAssertTrue(BFloat16.rounded(.nan).isNaN)
        XCTAssertEqual(BFloat16.rounded(-0.0).sign, .minus)
        // Every bfloat16 value survives the round trip.
        for bits in stride(from: 0, through: 0xFFFF, by: 7) where !BFloat16.widen(UInt16(bits)).isNaN {
            XCTAssertEqual(BFloat16.round(BFloat16.widen(UInt16(bits))), UInt16(bits))
        }
    }

    /// bf16 on the wire: every rank ends with the same bits, each a bfloat16 value, and each
    /// within the rounding bound of the exact sum: N-1 hops each round a partial sum once (and the
    /// final value once more), each rounding off at most 2^-8 of its value (bfloat16 keeps 8
    /// significant bits), so the error is at most N * 2^-8 * (sum of |values|), plus the Float32
    /// sums' own rounding.
    func testBFloat16RingIsIdenticalOnEveryRankAndWithinTheRoundingBound() {
        var generator = SystemRandomNumberGenerator()
        for n in 2...5 {
            let count = 3_001
            let values = (0..<n).map { _ in (0..<count).map { _ in Float.random(in: -1...1, using: &generator) * Float.random(in: 1e-3...10, using: &generator) } }
            let buffers = RankBuffers(worldSize: n, elementCount: count)
            for r in 0..<n { for i in 0..<count { buffers.buffers[r][i] = values[r][i] } }
            let ring = InMemoryRing(worldSize: n)
            let errors = runOnThreads(n) { rank in
                let schedule = RingSchedule(worldSize: n, rank: rank, elementCount: count, chunkElements: 97)
                _ = try RingAllReduce.run(buffer: buffers.buffers[rank], schedule: schedule, link: ring.link(rank: rank),
                                          generation: 1, step: 2, timeoutMilliseconds: 5_000, format: .bfloat16)
            }
            XCTAssertEqual(errors, Array(repeating: nil, count: n))
            for i in 0..<count {
                let mine = buffers.buffers[0][i]
                for r in 1..<n { XCTAssertEqual(buffers.buffers[r][i].bitPattern, mine.bitPattern, "N=\(n) element \(i) rank \(r)") }
                XCTAssertEqual(BFloat16.rounded(mine).bitPattern, mine.bitPattern, "a bfloat16 value")
                let exact = (0..<n).reduce(0.0) { $0 + Double(values[$1][i]) }
                let magnitude = (0..<n).reduce(0.0) { $0 + abs(Double(values[$1][i])) }
                let bound = Double(n) * 0x1p-8 * magnitude * (1 + 1e-6) + 1e-30
                XCTAssertLessThanOrEqual(abs(Double(mine) - exact), bound, "N=\(n) element \(i)")
            }
        }
    }

    func testHeaderCarriesTheFormatAndChecksThePayloadAgainstIt() throws {
        let header = RingFrameHeader(generation: 1, step: 2, phase: .allGather, ringStep: 1, chunk: 0, elementOffset: 8,
                                     elementCount: 10, format: .bfloat16)
        let decoded = try RingFrameHeader.decode(header.encoded(), payloadByteCount: 20)
        XCTAssertEqual(decoded, header)
        XCTAssertThrowsError(try RingFrameHeader.decode(header.encoded(), payloadByteCount: 40))
        var bytes = header.encoded()
        bytes[7] = 9
        XCTAssertThrowsError(try RingFrameHeader.decode(bytes, payloadByteCount: 20)) {
            XCTAssertEqual($0 as? RingFrameError, .badFormat(found: 9))
        }
    }
}
