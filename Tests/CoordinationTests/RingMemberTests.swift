import XCTest
@testable import Coordination

final class RingMemberTests: XCTestCase {
    func testSameHostNeighboursGetTheUnixSocketOthersTCP() {
        var h = Harness(min: 3, max: 3)
        var a = joinRequest(1), b = joinRequest(2), c = joinRequest(3)
        a.localRingEndpoint = "ipc://@cifake-ring-1"; a.locality = "boot-x/net:[1]"
        b.localRingEndpoint = "ipc://@cifake-ring-2"; b.locality = "boot-x/net:[1]"
        c.localRingEndpoint = "ipc://@cifake-ring-3"; c.locality = "boot-x/net:[2]" // another network namespace
        for (n, request) in [(1, a), (2, b), (3, c)] { h.record(h.state.onJoin(peer: peer(n), request: request, now: h.now)) }
        let ring = h.state.ring
        XCTAssertEqual(ring.map(\.localEndpoint), ["ipc://@cifake-ring-1", "ipc://@cifake-ring-2", "ipc://@cifake-ring-3"])
        XCTAssertEqual(ring[1].endpoint(from: a.locality), "ipc://@cifake-ring-2", "same boot and namespace: Unix socket")
        XCTAssertEqual(ring[2].endpoint(from: b.locality), "tcp://10.0.0.3:5600", "another namespace: TCP")
        XCTAssertEqual(ring[0].endpoint(from: c.locality), "tcp://10.0.0.1:5600")
        XCTAssertEqual(ring[1].endpoint(from: ""), "tcp://10.0.0.2:5600", "unknown locality: TCP")
        var plain = ring[1]
        plain.localEndpoint = ""
        XCTAssertEqual(plain.endpoint(from: a.locality), "tcp://10.0.0.2:5600", "no Unix socket bound: TCP")
    }
}
