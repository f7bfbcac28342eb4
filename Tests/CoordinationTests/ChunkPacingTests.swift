@testable import Coordination
import XCTest

final class ChunkPacingTests: XCTestCase {
    func testProgressIsServedAndRepeatsArePaced() {
        var pacing = ChunkPacing(resendInterval: 2)
        let honest = PeerID("honest"), greedy = PeerID("greedy")
        // An honest fetcher: each request past the last chunk, served at once.
        for (i, offset) in stride(from: 0, to: 40 << 20, by: 4 << 20).enumerated() {
            XCTAssertTrue(pacing.allows(honest, stream: -1, offset: UInt64(offset), now: Double(i) * 0.01))
        }
        // A peer asking for the same range 500 times in a second: served once.
        XCTAssertEqual((0..<500).filter { pacing.allows(greedy, stream: -1, offset: 0, now: Double($0) / 500) }.count, 1)
        // Its resend after the interval is served; so is another stream (a newer checkpoint) at once.
        XCTAssertTrue(pacing.allows(greedy, stream: -1, offset: 0, now: 2.5))
        XCTAssertTrue(pacing.allows(greedy, stream: 125, offset: 0, now: 2.6))
    }

    func testRemembersABoundedNumberOfPeers() {
        var pacing = ChunkPacing(resendInterval: 2, maximumPeers: 4)
        for i in 0..<100 { XCTAssertTrue(pacing.allows(PeerID("p\(i)"), stream: -1, offset: 0, now: Double(i) * 1e-3)) }
        // The newest are remembered (and paced); the oldest were forgotten.
        XCTAssertFalse(pacing.allows(PeerID("p99"), stream: -1, offset: 0, now: 0.2))
        XCTAssertTrue(pacing.allows(PeerID("p0"), stream: -1, offset: 0, now: 0.2))
    }
}
