#if canImport(Glibc)
import Glibc
#endif
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
@testable import Status

/// A socket connected to the server on 127.0.0.1, with a 10 s receive timeout.
private func connectClient(_ port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    XCTAssertEqual(connected, 0, "connect: \(String(cString: strerror(errno)))")
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    return fd
}

/// Everything the server sends until it closes (or 10 s pass).
private func readAll(_ fd: Int32) -> String {
    var answer: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        answer += buffer[0..<n]
    }
    return String(decoding: answer, as: UTF8.self)
}

/// Sends `bytes` as they are (then, with `finished`, closes the sending side) and returns
/// everything the server answers.
private func raw(_ port: Int, _ bytes: [UInt8], finished: Bool = false) -> String {
    let fd = connectClient(port)
    defer { close(fd) }
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    if finished { shutdown(fd, Int32(SHUT_WR)) }
    return readAll(fd)
}

/// A liveness probe as the kubelet makes one: the answer and the seconds it took.
private func probe(_ port: Int, _ request: String = "GET /healthz HTTP/1.1\r\nHost: probe\r\n\r\n") -> (answer: String, seconds: Double) {
    let began = Date()
    let answer = raw(port, Array(request.utf8))
    return (answer, Date().timeIntervalSince(began))
}

/// The server on 127.0.0.1 with a port the kernel picks, asked by a real HTTP client
/// (URLSession) and, for what clients do not send on purpose, by a raw socket.
final class StatusServerTests: XCTestCase {
    private func get(_ url: String, method: String = "GET") throws -> (status: Int, type: String?, body: String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = 5
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, String?, String)?
        nonisolated(unsafe) var failure: Error?
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { failure = error }
            if let http = response as? HTTPURLResponse {
                result = (http.statusCode, http.value(forHTTPHeaderField: "Content-Type"), String(decoding: data ?? Data(), as: UTF8.self))
            }
            done.signal()
        }
        task.resume()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        if let failure { throw failure }
        return try XCTUnwrap(result)
    }

    /// A probe's deadline: generous for a loaded machine (the kubelet's default is 1 s); the old
    /// server, which served one client at a time, missed it by far under these attacks.
    private let probeDeadline = 5.0

    func testServesHealthStatusAndMetricsAndRefusesTheRest() throws {
        let board = StatusBoard(StatusSnapshot(role: "coordinator"))
        let server = try StatusServer(listen: "127.0.0.1:0", program: ProgramIdentity(version: "cifake test")) { board.snapshot }
        server.start()
        defer { server.stop() }
        XCTAssertTrue(server.boundAddress.hasPrefix("127.0.0.1:"))
        XCTAssertGreaterThan(server.port, 0)
        let base = "http://\(server.boundAddress)"

        var r = try get(base + "/healthz")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.body, "ok")

        r = try get(base + "/status")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.type, "application/json")
        var object = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as! [String: Any]
        XCTAssertTrue(object["step"] is NSNull)
        XCTAssertEqual(object["version"] as? String, "cifake test")

        // The training loop's update shows on the next request.
        board.update { $0 = sampleSnapshot() }
        r = try get(base + "/status")
        object = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as! [String: Any]
        XCTAssertEqual(object["step"] as? Int, 1234)
        XCTAssertEqual(object["workers"] as? Int, 2)

        r = try get(base + "/metrics")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.type, "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertTrue(r.body.contains("\ncifake_step 1234\n"), r.body)
        XCTAssertTrue(r.body.contains("# TYPE cifake_images_per_second gauge\ncifake_images_per_second 1520.5\n"), r.body)

        XCTAssertEqual(try get(base + "/nowhere").status, 404)
        XCTAssertEqual(try get(base + "/metrics", method: "POST").status, 405)
        XCTAssertEqual(try get(base + "/healthz", method: "DELETE").status, 405)

        // What no polite client sends.
        XCTAssertTrue(raw(server.port, Array("nonsense\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        let huge = Array("GET /healthz HTTP/1.1\r\nX: ".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 20_000)
        XCTAssertTrue(raw(server.port, huge).hasPrefix("HTTP/1.1 431 "))
        // A client that closes before finishing its request gets nothing, and the server goes on.
        XCTAssertEqual(raw(server.port, Array("GET /hea".utf8), finished: true), "")
        XCTAssertEqual(try get(base + "/healthz").status, 200)
    }

    func testASlowClientTimesOutWithoutStoppingTheServer() throws {
        let server = try StatusServer(listen: "127.0.0.1:0", program: ProgramIdentity(version: "v")) { StatusSnapshot(role: "coordinator") }
        server.start()
        defer { server.stop() }
        let started = Date()
        // Half a request, then silence: answered 408 after the client timeout.
        let answer = raw(server.port, Array("GET /healthz HTTP/1.1\r\n".utf8))
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 408 "), answer)
        XCTAssertLessThan(Date().timeIntervalSince(started), Double(StatusServer.clientTimeoutSeconds) + 3)
        XCTAssertEqual(try get("http://\(server.boundAddress)/healthz").status, 200)
    }

    func testBadAddressesAndBusyPortsAreReported() throws {
        XCTAssertThrowsError(try StatusServer(listen: "127.0.0.1", program: ProgramIdentity(version: "v")) { StatusSnapshot(role: "x") }) {
            XCTAssertEqual("\($0)", "status server address '127.0.0.1': expected HOST:PORT with PORT 0...65535")
        }
        let first = try StatusServer(listen: "127.0.0.1:0", program: ProgramIdentity(version: "v")) { StatusSnapshot(role: "x") }
        XCTAssertThrowsError(try StatusServer(listen: first.boundAddress, program: ProgramIdentity(version: "v")) { StatusSnapshot(role: "x") }) {
            XCTAssertTrue("\($0)".contains("cannot listen on \(first.boundAddress): Address already in use"), "\($0)")
        }
    }

    /// One client sending a byte every 1.5 s (reconnecting when cut off) and 40 idle connections
    /// (reopened as the server closes them): every /healthz probe is still answered 200 within its
    /// deadline, and the trickling client is cut off by the whole-request deadline.
    func testSlowlorisAndFortyIdleConnectionsNeverStarveTheHealthProbe() throws {
        let server = try StatusServer(listen: "127.0.0.1:0", program: ProgramIdentity(version: "v")) { StatusSnapshot(role: "coordinator") }
        server.start()
        defer { server.stop() }
        let port = server.port
        final class Attack: @unchecked Sendable {
            let lock = NSLock()
            var stopping = false
            var slowAnswers: [String] = []
            var reopened = 0
        }
        let attack = Attack()
        let finished = DispatchSemaphore(value: 0)
        let attacker = Thread {
            defer { finished.signal() }
            let slowRequest = Array("GET /healthz HTTP/1.1\r\nX-Slow: \(String(repeating: "a", count: 200))\r\n\r\n".utf8)
            var idle = (0..<40).map { _ in connectClient(port) }
            var slow = connectClient(port), slowSent = 0, lastByte = Date.distantPast
            defer { for fd in idle + [slow] { close(fd) } }
            func answered(_ fd: Int32) -> Bool {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                return poll(&p, 1, 0) > 0
            }
            while !attack.lock.withLock({ attack.stopping }) {
                for i in idle.indices where answered(idle[i]) {
                    close(idle[i])
                    idle[i] = connectClient(port)
                    attack.lock.withLock { attack.reopened += 1 }
                }
                if answered(slow) {
                    let text = readAll(slow)
                    attack.lock.withLock { attack.slowAnswers.append(text) }
                    close(slow)
                    slow = connectClient(port)
                    slowSent = 0
                }
                if Date().timeIntervalSince(lastByte) >= 1.5 && slowSent < slowRequest.count {
                    _ = send(slow, [slowRequest[slowSent]], 1, Int32(MSG_NOSIGNAL))
                    slowSent += 1
                    lastByte = Date()
                }
                usleep(20_000)
            }
        }
        attacker.start()
        defer {
            attack.lock.withLock { attack.stopping = true }
            finished.wait()
        }
        sleep(1)  // the attack is under way

        for _ in 0..<8 {
            let (answer, seconds) = probe(port)
            XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200 OK\r\n") && answer.hasSuffix("\r\n\r\nok"), "probe answered: \(answer.debugDescription)")
            XCTAssertLessThan(seconds, probeDeadline, "probe answered within its deadline")
            usleep(1_000_000)
        }
        // The trickling client was cut off (after 2 s, not after its last byte + 2 s: it never stops).
        let (slowAnswers, reopened) = attack.lock.withLock { (attack.slowAnswers, attack.reopened) }
        XCTAssertFalse(slowAnswers.isEmpty, "the slow client was answered")
        for answer in slowAnswers { XCTAssertTrue(answer.hasPrefix("HTTP/1.1 408 "), answer) }
        XCTAssertGreaterThanOrEqual(reopened, 40, "idle connections were closed by their deadline and reopened")
    }

    /// Beyond the cap, the connection that has waited longest for its request gives way (503):
    /// however many idle connections are open, the probe is answered.
    func testBeyondTheConnectionCapTheOldestIdleClientGivesWay() throws {
        let server = try StatusServer(listen: "127.0.0.1:0", program: ProgramIdentity(version: "v")) { StatusSnapshot(role: "coordinator") }
        server.start()
        defer { server.stop() }
        let idle = (0..<(StatusServer.maximumConnections + 20)).map { _ in connectClient(server.port) }
        defer { for fd in idle { close(fd) } }
        let (answer, seconds) = probe(server.port)
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), answer)
        XCTAssertLessThan(seconds, probeDeadline)
        let first = readAll(idle[0])
        XCTAssertTrue(first.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"), first)
        XCTAssertTrue(first.contains("busy: \(StatusServer.maximumConnections) connections open"), first)
        XCTAssertTrue(probe(server.port).answer.hasPrefix("HTTP/1.1 200 OK\r\n"))
    }

    /// HEAD gets GET's headers and no body; a request head over the limit is 431; a declared body
    /// is not waited for.
    func testHeadOversizeHeadsAndUnreadBodies() throws {
        let server = try StatusServer(listen: "127.0.0.1:0", program: ProgramIdentity(version: "v")) { sampleSnapshot() }
        server.start()
        defer { server.stop() }
        let head = probe(server.port, "HEAD /metrics HTTP/1.1\r\n\r\n").answer
        let get = probe(server.port, "GET /metrics HTTP/1.1\r\n\r\n").answer
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 200 OK\r\n"), head)
        XCTAssertTrue(head.hasSuffix("\r\n\r\n"), "no body: \(head)")
        XCTAssertEqual(head, String(get.prefix(head.count)), "the same headers as GET")
        XCTAssertGreaterThan(get.count, head.count)
        XCTAssertTrue(probe(server.port, "HEAD /healthz HTTP/1.0\r\n\r\n").answer.hasSuffix("Content-Length: 2\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n"))
        XCTAssertTrue(probe(server.port, "HEAD /nowhere HTTP/1.1\r\n\r\n").answer.hasPrefix("HTTP/1.1 404 "))

        let oversize = "GET /healthz HTTP/1.1\r\n" + String(repeating: "X-Padding: \(String(repeating: "p", count: 100))\r\n", count: 100) + "\r\n"
        XCTAssertTrue(probe(server.port, oversize).answer.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        let body = probe(server.port, "POST /healthz HTTP/1.1\r\nContent-Length: 100000000\r\n\r\nsome of it")
        XCTAssertTrue(body.answer.hasPrefix("HTTP/1.1 405 "), body.answer)
        XCTAssertLessThan(body.seconds, probeDeadline, "the body was not waited for")
        XCTAssertTrue(probe(server.port).answer.hasPrefix("HTTP/1.1 200 OK\r\n"))
    }
}
