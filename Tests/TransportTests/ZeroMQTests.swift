import Foundation
import Transport
import XCTest

final class ZeroMQTests: XCTestCase {
    func testBindToAnyPortReportsTheChosenPort() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .pull)
        try socket.bind("tcp://127.0.0.1:*")
        let endpoint = try socket.lastEndpoint()
        XCTAssertTrue(endpoint.hasPrefix("tcp://127.0.0.1:"), endpoint)
        let port = Int(endpoint.split(separator: ":").last ?? "")
        XCTAssertNotNil(port)
        XCTAssertNotEqual(port, 0)
    }

    func testMultipartRoundTripAndOptions() throws {
        let context = try ZMQContext()
        let pull = try ZMQSocket(context: context, type: .pull)
        try pull.set(.receiveHighWaterMark, 7)
        XCTAssertEqual(try pull.get(.receiveHighWaterMark), 7)
        try pull.set(.maxMessageSize, 1 << 40)
        XCTAssertEqual(try pull.get(.maxMessageSize), 1 << 40)
        try pull.bind("tcp://127.0.0.1:*")
        let push = try ZMQSocket(context: context, type: .push)
        try push.connect(try pull.lastEndpoint())
        let parts: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 9, count: 100_000)]
        try push.sendMultipart(parts)
        XCTAssertEqual(try pull.receiveMultipart(timeoutMilliseconds: 5_000), parts)
    }

    func testReceiveFromSilentPeerTimesOut() throws {
        let context = try ZMQContext()
        let pull = try ZMQSocket(context: context, type: .pull)
        try pull.bind("tcp://127.0.0.1:*")
        XCTAssertNil(try pull.receiveMultipart(timeoutMilliseconds: 30))
        var byte: UInt8 = 0
        let size = try withUnsafeMutableBytes(of: &byte) { try pull.receive(into: $0, timeoutMilliseconds: 30) }
        XCTAssertNil(size)
        XCTAssertFalse(try pull.receive(into: ZMQMessage(), timeoutMilliseconds: 30))
    }

    func testReceiveIntoCallerBufferReportsFullSize() throws {
        let context = try ZMQContext()
        let pull = try ZMQSocket(context: context, type: .pull)
        try pull.bind("tcp://127.0.0.1:*")
        let push = try ZMQSocket(context: context, type: .push)
        try push.connect(try pull.lastEndpoint())
        try push.send([10, 20, 30, 40, 50])
        var buffer = [UInt8](repeating: 0, count: 3)
        let size = try buffer.withUnsafeMutableBytes { try pull.receive(into: $0, timeoutMilliseconds: 5_000) }
        XCTAssertEqual(size, 5) // truncated: the caller can tell
        XCTAssertEqual(buffer, [10, 20, 30])
    }

    func testZeroCopySendIsReleasedAfterDelivery() throws {
        let context = try ZMQContext()
        let pull = try ZMQSocket(context: context, type: .pull)
        try pull.bind("tcp://127.0.0.1:*")
        let push = try ZMQSocket(context: context, type: .push)
        try push.connect(try pull.lastEndpoint())
        let releases = ZMQReleaseCounter()
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { payload.deallocate() }
        for i in 0..<payload.count { payload[i] = UInt8(truncatingIfNeeded: i &* 31) }
        for _ in 0..<3 { try push.sendZeroCopy(UnsafeRawBufferPointer(payload), releases: releases) }
        XCTAssertEqual(releases.queued, 3)
        let message = ZMQMessage()
        for _ in 0..<3 {
            XCTAssertTrue(try pull.receive(into: message, timeoutMilliseconds: 5_000))
            XCTAssertTrue(message.bytes.elementsEqual(UnsafeRawBufferPointer(payload)))
        }
        XCTAssertTrue(releases.waitUntilAllReleased(timeoutMilliseconds: 5_000))
        XCTAssertEqual(releases.released, 3)
    }

    func testErrorsCarryOperationAndErrno() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .pull)
        XCTAssertThrowsError(try socket.bind("nonsense://x")) { error in
            guard let error = error as? ZMQError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.operation, "bind nonsense://x")
            XCTAssertEqual(error.errno, EPROTONOSUPPORT)
            XCTAssertFalse(error.message.isEmpty)
        }
        try socket.bind("tcp://127.0.0.1:*")
        let other = try ZMQSocket(context: context, type: .pull)
        XCTAssertThrowsError(try other.bind(try socket.lastEndpoint())) { error in
            XCTAssertEqual((error as? ZMQError)?.errno, EADDRINUSE)
        }
        socket.close()
        XCTAssertThrowsError(try socket.lastEndpoint()) { error in
            XCTAssertEqual((error as? ZMQError)?.errno, ENOTSOCK)
        }
    }

    func testCurveKeyPairAndOptions() throws {
        let keys = try ZMQCurveKeyPair.generate()
        XCTAssertEqual(keys.publicKey.count, 40)
        XCTAssertEqual(keys.secretKey.count, 40)
        XCTAssertNotEqual(keys.publicKey, keys.secretKey)
        let context = try ZMQContext()
        let server = try ZMQSocket(context: context, type: .pull)
        try server.set(.curveServer, 1)
        try server.set(.curveSecretKey, keys.secretKey)
        try server.bind("tcp://127.0.0.1:*")
        let client = try ZMQSocket(context: context, type: .push)
        let clientKeys = try ZMQCurveKeyPair.generate()
        try client.set(.curveServerKey, keys.publicKey)
        try client.set(.curvePublicKey, clientKeys.publicKey)
        try client.set(.curveSecretKey, clientKeys.secretKey)
        try client.connect(try server.lastEndpoint())
        try client.send(Array("sealed".utf8))
        XCTAssertEqual(try server.receiveMultipart(timeoutMilliseconds: 5_000), [Array("sealed".utf8)])
        XCTAssertThrowsError(try client.set(.curvePublicKey, "too short"))
    }
}
