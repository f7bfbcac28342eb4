import XCTest
@testable import Coordination

final class RankPreferenceTests: XCTestCase {
    func testRequestedRanksAreGrantedWhenFreeAndOthersFillTheGapsInOrder() {
        // (name, requested rank)
        let items: [(String, Int?)] = [("a", nil), ("b", 2), ("c", 0), ("d", 2), ("e", 9), ("f", nil)]
        let (ordered, denied) = RankPreference.arrange(items) { $0.1 }
        XCTAssertEqual(ordered.map(\.0), ["c", "a", "b", "d", "e", "f"])
        XCTAssertEqual(denied, [3, 4], "d's rank 2 was taken by b; e's rank 9 is beyond a ring of 6")
        XCTAssertEqual(RankPreference.arrange(["x", "y", "z"]) { _ in nil }.ordered, ["x", "y", "z"])
        XCTAssertEqual(RankPreference.arrange([Int]()) { $0 }.ordered, [])
    }

    func testSchedulerRanksOutOfJoinOrderBecomeTheRingRanks() {
        var h = Harness(min: 3, max: 3)
        // Slurm starts tasks 2, 0, 1 in that order; each asks for its task id.
        for (n, rank) in [(2, 2), (0, 0), (1, 1)] {
            var request = joinRequest(n)
            request.requestedRank = rank
            h.record(h.state.onJoin(peer: peer(n), request: request, now: h.now))
        }
        XCTAssertEqual(h.state.ring.map(\.nodeID), ["node-0", "node-1", "node-2"])
        let assigned = h.all.compactMap { d -> (PeerID, Int)? in
            if case .assign(let p, let a) = d { return (p, a.rank) } else { return nil }
        }
        XCTAssertEqual(assigned.map(\.0), [peer(0), peer(1), peer(2)])
        XCTAssertEqual(assigned.map(\.1), [0, 1, 2])
    }

    func testAContestedRankIsLoggedAndTheLaterWorkerTakesAFreeOne() {
        var h = Harness(min: 2, max: 2)
        for n in [5, 6] {
            var request = joinRequest(n)
            request.requestedRank = 1
            h.record(h.state.onJoin(peer: peer(n), request: request, now: h.now))
        }
        XCTAssertEqual(h.state.ring.map(\.nodeID), ["node-6", "node-5"])
        let warnings = h.all.compactMap { d -> String? in
            if case .log(.warning, let text) = d { return text } else { return nil }
        }
        XCTAssertEqual(warnings, ["requested ranks not granted (taken, or not below 2): node-6 asked 1"])
    }
}
