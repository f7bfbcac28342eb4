import Randomness
import XCTest
@testable import Status

/// The status server's per-client machine, driven with bytes and times and no sockets; and a
/// fuzz test of the request parser behind it.
final class StatusConnectionTests: XCTestCase {
    private func route(_ head: HTTPRequestHead) -> HTTPResponse {
        StatusRoutes.respond(to: head, snapshot: { StatusSnapshot(role: "coordinator") }, program: ProgramIdentity(version: "v"))
    }

    private func connection(at now: Double = 100) -> StatusConnection {
        StatusConnection(now: now, timeout: 2, maximumRequestBytes: 8192)
    }

    func testTheDeadlineCoversTheWholeRequestNotEachByte() {
        var c = connection()
        // A byte every 1.5 s: each arrives before a per-byte timeout would fire, yet the
        // request's 2 s run out during the second gap.
        for (i, byte) in Array("GET /h".utf8).enumerated() {
            let now = 100 + 1.5 * Double(i)
            c.tick(now: now)
            guard c.phase == .reading else { break }
            c.receive([byte], now: now, answer: route)
        }
        XCTAssertEqual(c.phase, .writing)
        XCTAssertEqual(c.status, 408)
        XCTAssertTrue(String(decoding: c.output, as: UTF8.self).hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
    }

    func testAnAnswerThenALingerThenDone() {
        var c = connection()
        c.receive(ArraySlice("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: 100.1, answer: route)
        XCTAssertEqual(c.status, 200)
        XCTAssertFalse(c.wantsToRead, "no reading while the answer is unsent")
        c.didSend(10, now: 100.2)
        XCTAssertEqual(c.phase, .writing)
        c.didSend(c.output.count - 10, now: 100.2)
        XCTAssertEqual(c.phase, .lingering)
        c.receive(ArraySlice([UInt8](repeating: 7, count: 100)), now: 100.3, answer: route)
        XCTAssertEqual(c.phase, .lingering, "what the client still sends is discarded")
        c.tick(now: 100.2 + StatusConnection.lingerSeconds)
        XCTAssertEqual(c.phase, .done)

        var unread = connection()
        unread.receive(ArraySlice("GET /status HTTP/1.1\r\n\r\n".utf8), now: 100, answer: route)
        unread.tick(now: 101.9)
        XCTAssertEqual(unread.phase, .writing)
        unread.tick(now: 102)
        XCTAssertEqual(unread.phase, .done, "an answer not taken within the timeout ends the connection")

        var gone = connection()
        gone.receive(ArraySlice("GET /hea".utf8), now: 100, answer: route)
        gone.receive([], now: 100.1, answer: route)
        XCTAssertEqual(gone.phase, .done)
        XCTAssertNil(gone.status, "a client gone before asking gets nothing")
    }

    func testAHeadOverTheLimitIsAnswered431WhateverTheChunks() {
        var c = connection()
        c.receive(ArraySlice("GET /healthz HTTP/1.1\r\nX: ".utf8), now: 100, answer: route)
        while c.phase == .reading {
            XCTAssertGreaterThan(c.readAllowance, 0)
            c.receive(ArraySlice([UInt8](repeating: UInt8(ascii: "a"), count: min(1000, c.readAllowance))), now: 100, answer: route)
        }
        XCTAssertEqual(c.status, 431)
    }

    func testHeadGetsTheHeadersOfGetWithoutTheBody() {
        let get = route(HTTPRequestHead(method: "GET", path: "/metrics", version: "HTTP/1.1"))
        let head = route(HTTPRequestHead(method: "HEAD", path: "/metrics", version: "HTTP/1.1"))
        XCTAssertEqual(head.status, 200)
        let text = String(decoding: head.bytes, as: UTF8.self)
        XCTAssertTrue(text.hasSuffix("\r\n\r\n"), text)
        XCTAssertEqual(head.bytes.count + Array(get.body.utf8).count, get.bytes.count, "the same head, no body")
        XCTAssertTrue(text.contains("Content-Length: \(Array(get.body.utf8).count)\r\n"), text)
    }

    /// Random and mutated requests, seeded and bounded: every input gives a well-formed answer
    /// (a 4xx for anything that is not one of the routes asked properly), fed whole or a few
    /// bytes at a time alike; no trap, no hang.
    func testFuzzedRequestsGetCleanAnswers() {
        var rng = SplitMix64(seed: 12)
        let valid = ["GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD /metrics HTTP/1.0\n\n", "GET /status?x=1 HTTP/1.1\r\nA: b\r\n\r\n",
                     "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", "GET /nowhere HTTP/1.1\r\n\r\n"].map { Array($0.utf8) }
        let alphabet = Array(" \r\n/?:.HTTPGETHEAD1\u{0}".utf8) + [0xFF, 0xC3, 0x80]
        let limit = 512
        for round in 0..<20_000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0:  // noise, often over the limit
                bytes = (0..<rng.nextIndex(below: 2 * limit)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case 1:  // HTTP-ish characters: request lines, line ends and blank lines in every arrangement
                bytes = (0..<rng.nextIndex(below: 80)).map { _ in alphabet[rng.nextIndex(below: alphabet.count)] }
            default:  // a valid request with a few bytes flipped, dropped or repeated
                bytes = valid[rng.nextIndex(below: valid.count)]
                for _ in 0..<1 + rng.nextIndex(below: 3) where !bytes.isEmpty {
                    let i = rng.nextIndex(below: bytes.count)
                    switch rng.nextIndex(below: 3) {
                    case 0: bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: bytes.remove(at: i)
                    default: bytes.insert(contentsOf: [UInt8](repeating: bytes[i], count: 1 + rng.nextIndex(below: 600)), at: i)
                    }
                }
            }
            // The server never reads more than one byte past the limit.
            let read = Array(bytes.prefix(limit + 1))
            let whole = StatusConnection.answer(read, maximumRequestBytes: limit, answer: route)
            // The same bytes in chunks, as a server receives them.
            var c = StatusConnection(now: 0, timeout: 2, maximumRequestBytes: limit)
            var offset = 0
            while c.phase == .reading && offset < bytes.count {
                let n = min(1 + rng.nextIndex(below: 64), c.readAllowance, bytes.count - offset)
                c.receive(bytes[offset..<(offset + n)], now: 0, answer: route)
                offset += n
            }
            let input = String(decoding: bytes.prefix(60), as: UTF8.self).debugDescription
            guard let whole else {
                XCTAssertTrue(read.count <= limit, "incomplete only within the limit: \(input)")
                XCTAssertNil(c.status, input)
                continue
            }
            XCTAssertEqual(c.status, whole.status, "chunked and whole agree: \(input)")
            XCTAssertTrue([200, 400, 404, 405, 431].contains(whole.status), "\(whole.status) for \(input)")
            if case .request(let head) = HTTPRequestHead.parse(read), StatusRoutes.paths.contains(head.path), ["GET", "HEAD"].contains(head.method) {
                XCTAssertEqual(whole.status, 200, input)
            } else {
                XCTAssertTrue((400..<500).contains(whole.status), "a 4xx for \(input), found \(whole.status)")
            }
            let text = String(decoding: whole.bytes, as: UTF8.self)
            XCTAssertTrue(text.hasPrefix("HTTP/1.1 \(whole.status) "), text)
            XCTAssertTrue(text.contains("\r\nContent-Length: \(Array(whole.body.utf8).count)\r\n"), text)
        }
    }
}
