import Foundation
import Synchronization
import Transport
import XCTest

/// CURVE and the ZAP handler over real sockets on 127.0.0.1 (ports chosen at run time).
final class CurveTests: XCTestCase {
    private final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: String { lines.withLock { $0.joined(separator: "\n") } }
    }

    func testZ85KeysAndDerivedPublicKey() throws {
        let pair = try ZMQCurveKeyPair.generate()
        XCTAssertEqual(ZMQCurve.decode(pair.publicKey)?.count, 32)
        XCTAssertEqual(ZMQCurve.decode(pair.publicKey).flatMap(ZMQCurve.encode), pair.publicKey)
        XCTAssertEqual(try ZMQCurve.publicKey(fromSecret: pair.secretKey), pair.publicKey)
        XCTAssertEqual(ZMQCurveKeyPair(secretKey: pair.secretKey), pair)
        XCTAssertNil(ZMQCurve.decode("too short"))
        XCTAssertNil(ZMQCurve.decode(String(repeating: "~", count: 40)), "~ is not Z85")
    }

    /// Only the authorized key gets a message through, and it arrives with its key as User-Id; an
    /// unknown key and a client without CURVE are refused and logged.
    func testOnlyAuthorizedKeysGetThrough() throws {
        let context = try ZMQContext()
        let server = try ZMQCurveKeyPair.generate(), good = try ZMQCurveKeyPair.generate(), bad = try ZMQCurveKeyPair.generate()
        let log = Lines()
        let zap = try ZAPHandler(context: context, authorized: [good.publicKey], repeatLogSeconds: 60) { log.add($0) }
        defer { zap.stop() }
        let pull = try ZMQSocket(context: context, type: .pull)
        try pull.set(.linger, 0)
        try zap.watch(pull, name: "test")
        try pull.makeCurveServer(server)
        try pull.bind("tcp://127.0.0.1:*")
        let endpoint = try pull.lastEndpoint()

        func client(_ keys: ZMQCurveKeyPair?, _ text: String) throws -> ZMQSocket {
            let push = try ZMQSocket(context: context, type: .push)
            try push.set(.linger, 0)
            try push.set(.immediate, 1)
            if let keys { try push.makeCurveClient(keys, serverPublicKey: server.publicKey) }
            try push.connect(endpoint)
            _ = try push.send(Array(text.utf8), dontWait: true)
            return push
        }
        let intruder = try client(bad, "from the intruder")
        let keyless = try client(nil, "from the keyless")
        let friend = try client(good, "from the friend")
        defer { [intruder, keyless, friend].forEach { $0.close() } }
        // ZMQ_IMMEDIATE: a message is queued only on a completed (authenticated) connection, so
        // the friend's may have been dropped before its handshake ended: resend until it arrives.
        var received: (parts: [[UInt8]], userID: String?)?
        for _ in 0..<50 where received == nil {
            received = try pull.receiveMultipartWithUserID(timeoutMilliseconds: 100)
            if received == nil { _ = try friend.send(Array("from the friend".utf8), dontWait: true) }
        }
        let message = try XCTUnwrap(received)
        XCTAssertEqual(String(decoding: message.parts[0], as: UTF8.self), "from the friend")
        XCTAssertEqual(message.userID, good.publicKey)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && !(log.all.contains(bad.publicKey) && log.all.contains("does not use CURVE")) { usleep(50_000) }
        XCTAssertTrue(log.all.contains("refused a connection from 127.0.0.1 with public key \(bad.publicKey): unknown public key"), log.all)
        XCTAssertTrue(log.all.contains("with no CURVE key: the client does not use CURVE (mechanism mismatch), on the test socket"), log.all)
        XCTAssertFalse(log.all.contains(good.publicKey), "the friend was not refused")
        XCTAssertNil(try pull.receiveMultipart(timeoutMilliseconds: 300), "nothing from the intruders")
        XCTAssertGreaterThanOrEqual(zap.counts.accepted, 1)
        XCTAssertGreaterThanOrEqual(zap.counts.refused, 2)
    }

    /// A CURVE ring link all-reduces like a plain one, with ZAP accepting only the predecessor.
    func testCurveRingLinkCarriesFrames() throws {
        let context = try ZMQContext()
        let a = try ZMQCurveKeyPair.generate(), b = try ZMQCurveKeyPair.generate()
        let zap = try ZAPHandler(context: context, authorized: [a.publicKey, b.publicKey]) { _ in }
        defer { zap.stop() }
        let linkA = try ZeroMQRingLink(context: context, curve: a, zap: zap)
        let linkB = try ZeroMQRingLink(context: context, curve: b, zap: zap)
        defer { linkA.close(); linkB.close() }
        XCTAssertThrowsError(try linkA.connect(successor: linkB.boundEndpoint), "CURVE needs the successor's key")
        try linkA.connect(successor: linkB.boundEndpoint, serverPublicKey: b.publicKey)
        let header = [UInt8](repeating: 7, count: 40), payload = [UInt8](repeating: 9, count: 1 << 20)
        try header.withUnsafeBytes { h in try payload.withUnsafeBytes { p in try linkA.send(header: h, payload: p) } }
        var got: (header: [UInt8], payload: [UInt8])?
        let deadline = Date().addingTimeInterval(10)
        while got == nil && Date() < deadline {
            _ = try linkB.receive(timeoutMilliseconds: 500) { got = (Array($0), Array($1)) }
        }
        XCTAssertTrue(got?.header == header, "the header arrived intact")
        XCTAssertTrue(got?.payload == payload, "the 1 MiB payload arrived intact (\(got?.payload.count ?? -1) bytes)")
        XCTAssertTrue(try linkA.waitUntilSendsReleased(timeoutMilliseconds: 5_000))
    }
}
