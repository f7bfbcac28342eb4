#if canImport(Glibc)
import Glibc
#endif
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
@testable import Observability

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

    /// Sends `bytes` as they are (then, with `finished`, closes the sending side) and returns
    /// everything the server answers.
    private func raw(_ port: Int, _ bytes: [UInt8], finished: Bool = false) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(connected, 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if finished { shutdown(fd, Int32(SHUT_WR)) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            answer += buffer[0..<n]
        }
        return String(decoding: answer, as: UTF8.self)
    }

    func testServesHealthStatusAndMetricsAndRefusesTheRest() throws {
        let board = StatusBoard(StatusSnapshot(role: "coordinator"))
        let server = try StatusServer(listen: "127.0.0.1:0", version: "cifake test") { board.snapshot }
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
        let server = try StatusServer(listen: "127.0.0.1:0", version: "v") { StatusSnapshot(role: "coordinator") }
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
        XCTAssertThrowsError(try StatusServer(listen: "127.0.0.1", version: "v") { StatusSnapshot(role: "x") }) {
            XCTAssertEqual("\($0)", "status server address '127.0.0.1': expected HOST:PORT with PORT 0...65535")
        }
        let first = try StatusServer(listen: "127.0.0.1:0", version: "v") { StatusSnapshot(role: "x") }
        XCTAssertThrowsError(try StatusServer(listen: first.boundAddress, version: "v") { StatusSnapshot(role: "x") }) {
            XCTAssertTrue("\($0)".contains("cannot listen on \(first.boundAddress): Address already in use"), "\($0)")
        }
    }
}
