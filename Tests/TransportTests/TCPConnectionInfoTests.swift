import Collective
import Foundation
import Transport
import XCTest

/// The kernel's busy time of a ring link's connection to its successor, found among the
/// process's descriptors by the peer's address.
final class TCPConnectionInfoTests: XCTestCase {
    func testTheSuccessorLinksBusyTimeIsReadAndGrowsWithTraffic() throws {
        #if !os(Linux)
        throw XCTSkip("TCP_INFO busy time is Linux's")
        #endif
        let context = try ZMQContext()
        let a = try ZeroMQRingLink(context: context), b = try ZeroMQRingLink(context: context)
        defer { a.close(); b.close() }
        XCTAssertNil(a.successorBusySeconds(), "not connected yet")
        try a.connect(successor: b.boundEndpoint)
        let header = RingFrameHeader(generation: 1, step: 0, phase: .reduceScatter, ringStep: 0, chunk: 0,
                                     elementOffset: 0, elementCount: 1 << 18).encoded()
        let payload = [Float](repeating: 1, count: 1 << 18)
        func sendOne() throws {
            try header.withUnsafeBytes { h in try payload.withUnsafeBytes { p in try a.send(header: h, payload: p) } }
            XCTAssertTrue(try b.receive(timeoutMilliseconds: 10_000) { _, p in XCTAssertEqual(p.count, 1 << 20) })
            XCTAssertTrue(try a.waitUntilSendsReleased(timeoutMilliseconds: 10_000))
        }
        try sendOne()
        let first = try XCTUnwrap(a.successorBusySeconds(), "the connection to \(b.boundEndpoint) is found and the kernel reports its busy time")
        for _ in 0..<20 { try sendOne() }
        let later = try XCTUnwrap(a.successorBusySeconds())
        XCTAssertGreaterThanOrEqual(later, first, "cumulative")
        XCTAssertLessThan(later, 10, "seconds, not microseconds")
        XCTAssertNil(b.successorBusySeconds(), "b has no successor")

        // The peer lookup itself: b's inbound connection has a's outbound one as its peer.
        let port = UInt16(b.boundEndpoint.split(separator: ":").last!)!
        let fd = try XCTUnwrap(TCPConnectionInfo.descriptor(peerHost: "127.0.0.1", port: port))
        XCTAssertEqual(TCPConnectionInfo.peerAddress(fd)?.port, port)
        XCTAssertNil(TCPConnectionInfo.descriptor(peerHost: "127.0.0.1", port: 9))
        XCTAssertNil(TCPConnectionInfo.busySeconds(descriptor: 0), "stdin is no TCP socket")
    }
}
