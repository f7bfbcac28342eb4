@testable import Cluster
import Collective
import Dispatch
import Foundation
import Kernels
import Transport
import XCTest

/// The ring thread only moves bytes: control runs on the training thread while it waits, and
/// abandons a generation through `RingCancellation`, which the ring thread reads between slices.
final class RingCancellationTests: XCTestCase {
    func testMarksOnlyGrowAndCoverOlderGenerationsOnly() {
        let token = RingCancellation()
        XCTAssertFalse(token.isAbandoned(0))
        token.abandon(below: 8)
        XCTAssertTrue(token.isAbandoned(7))
        XCTAssertFalse(token.isAbandoned(8), "the next generation is not abandoned")
        token.abandon(below: 3)
        XCTAssertTrue(token.isAbandoned(7), "an older mark never revives a generation")
    }

    /// Rank 0 of a two-rank ring whose rank 1 never sends: its all-reduce waits on the ring
    /// thread while `whileWaiting` runs on the calling thread; when that abandons the generation,
    /// the all-reduce ends with `abandoned` within a slice or two, long before the ring's deadline.
    func testControlOnTheCallingThreadAbandonsAStuckAllReduce() throws {
        let context = try ZMQContext()
        let mine = try ZeroMQRingLink(context: context), silent = try ZeroMQRingLink(context: context)
        defer { mine.close(); silent.close() }
        try mine.connect(successor: silent.boundEndpoint)
        try silent.connect(successor: mine.boundEndpoint)
        let generation: UInt64 = 41
        let token = RingCancellation()
        let watched = WatchedRingLink(mine, generation: generation, cancellation: token, traffic: RingTraffic(), sliceMilliseconds: 20)
        let reducer = RingReducer(link: watched, rank: 0, worldSize: 2, elementCount: 1000, generation: generation,
                                  timeoutMilliseconds: 30_000)
        let caller = Thread.current
        var calls = 0, onCaller = true
        reducer.whileWaiting = {
            calls += 1
            onCaller = onCaller && Thread.current == caller
            if calls == 3 { token.abandon(below: generation + 1) }
        }
        let gradients = FloatBuffer(count: 1000)
        let began = DispatchTime.now().uptimeNanoseconds
        XCTAssertThrowsError(try reducer.allReduce(gradients, step: 0)) { error in
            XCTAssertEqual(error as? RingAllReduceError, .abandoned(generation: generation))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        XCTAssertGreaterThanOrEqual(calls, 3)
        XCTAssertTrue(onCaller, "whileWaiting ran on the ring thread")
        XCTAssertLessThan(seconds, 10, "left at the mark, not at the ring's 30 s deadline")
        XCTAssertEqual(watched.traffic.bytesReceived, 0)
        XCTAssertGreaterThan(watched.traffic.bytesSent, 0, "rank 0 sent its first segment")
    }
}
