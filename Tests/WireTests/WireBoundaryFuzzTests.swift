import Coordination
import TestSupport
@testable import Wire
import XCTest

/// Valid frames with boundary integers written over their length, count and offset fields,
/// truncated, spliced and flipped: a `WireError` or a canonical frame, never a trap.
final class WireBoundaryFuzzTests: XCTestCase {
    func testBoundaryIntegersInEveryFieldNeverTrap() throws {
        let valid = try samples.map { try WireCodec.encode($0, generation: 3) }
        var accepted = 0, refusals: Set<String> = []
        fuzz("wire", seed: 0x3172E, iterations: 100_000) { _, m in
            let original = valid[m.index(valid.count)]
            // The header's fields, then the payload's first fields (lengths and counts come first).
            let fields = [4, 6, 8, 16] + Array(stride(from: 20, to: min(original.count, 60), by: 4))
            let frame = m.mutate(original, donors: valid, fields: fields)
            do {
                let (header, message) = try WireCodec.decode(frame)
                XCTAssertEqual(try WireCodec.encode(message, generation: header.generation), frame, "accepted frames are canonical")
                accepted += 1
            } catch {
                refusals.insert(String("\(error)".prefix { $0 != ":" && $0 != " " }))
            }
        }
        // The mutations reach past the header: some frames still decode, and many checks refuse others.
        XCTAssertGreaterThan(accepted, 0)
        XCTAssertGreaterThan(refusals.count, 5, "\(refusals)")
    }
}
