#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import XCTest

/// `/metrics` of real processes (single-process `train`, and a coordinator with a worker),
/// read by the strict ``PrometheusText`` parser; their logs, line by line; `--version`; and the
/// provenance a finished run leaves in its folder and its model file.
final class RealProcessMetricsTests: XCTestCase {
    /// Every non-empty line of a log: a timestamp and a level first.
    static func assertEveryLineIsALogLine(_ log: String, file: StaticString = #filePath, line: UInt = #line) {
        let pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z (trace|debug|info|notice|warning|error|critical) [a-z]+[^:]*: "
        let bad = log.split(separator: "\n").filter { $0.range(of: pattern, options: .regularExpression) == nil }
        XCTAssertTrue(bad.isEmpty, "lines without a timestamp and a level:\n\(bad.prefix(10).joined(separator: "\n"))", file: file, line: line)
        XCTAssertFalse(log.isEmpty, "no log at all", file: file, line: line)
    }

    /// GET `path` from `address` (`127.0.0.1:PORT`); the body of a 200, else nil.
    static func get(_ address: String, _ path: String) -> String? {
        guard let port = UInt16(address.split(separator: ":").last ?? "") else { return nil }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr)
        let connected = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(path) HTTP/1.1\r\nHost: test\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            answer += buffer[0..<n]
        }
        let text = String(decoding: answer, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 200"), let body = text.range(of: "\r\n\r\n") else { return nil }
        return String(text[body.upperBound...])
    }

    /// `/metrics` once `cifake_steps_total` is above zero, parsed; fails after `seconds`.
    static func metricsAfterAStep(_ address: String, seconds: Double, process: LoggedProcess) throws -> PrometheusText {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let body = get(address, "/metrics") {
                let parsed = try PrometheusText(body)
                if (parsed.value("cifake_steps_total") ?? 0) > 0 { return parsed }
            }
            usleep(200_000)
        }
        XCTFail("no step counted on http://\(address)/metrics within \(seconds) s:\n\(process.log)")
        throw XCTSkip("no metrics")
    }

    static func address(of process: LoggedProcess) throws -> String {
        let line = try XCTUnwrap(process.waitForOutput("status on http://", seconds: 120), process.log)
        return String(line.split(separator: "/")[1])
    }

    func testTrainServesCountersHistogramsAndProcessMetricsLogsEveryLineAndRecordsProvenance() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("metrics-train")
        let version = try runProcess(cifake, ["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertTrue(version.stdout.hasPrefix("cifake 0."), version.stdout)
        XCTAssertTrue(version.stdout.contains(", git ") && version.stdout.contains(", Swift 6"), version.stdout)

        let train = try LoggedProcess(cifake, ["train", "--dense", "32", "--epochs", "4", "--threads", "1", "--out", "\(folder)/run",
                                               "--status-listen", "127.0.0.1:0"], home: folder)
        defer { train.stop() }
        let address = try Self.address(of: train)
        let metrics = try Self.metricsAfterAStep(address, seconds: 120, process: train)
        XCTAssertFalse(metrics.names(ofType: "counter").isEmpty)
        for name in ["cifake_steps_total", "cifake_images_total", "process_cpu_seconds_total"] {
            XCTAssertEqual(metrics.families[name]?.type, "counter", name)
        }
        for name in ["cifake_step_seconds", "cifake_compute_seconds"] {
            XCTAssertEqual(metrics.families[name]?.type, "histogram", name)
        }
        XCTAssertGreaterThan(metrics.value("cifake_step_seconds_count") ?? 0, 0)
        XCTAssertGreaterThan(metrics.value("process_resident_memory_bytes") ?? 0, 1e6)
        XCTAssertGreaterThan(metrics.value("process_start_time_seconds") ?? 0, Date().timeIntervalSince1970 - 3600)
        XCTAssertGreaterThan(metrics.value("process_open_fds") ?? 0, 2)
        let info = try XCTUnwrap(metrics.families["cifake_info"]?.samples.first)
        XCTAssertEqual(info.labels["role"], "train")
        XCTAssertEqual(info.labels["version"].map { version.stdout.hasPrefix($0) }, true, "\(info.labels) vs \(version.stdout)")
        XCTAssertEqual(info.labels["revision"].map { version.stdout.contains(", git \($0),") }, true, "\(info.labels)")
        // 1-based: the step shown is the number of steps completed, the epoch the one under way.
        let status = try XCTUnwrap(Self.get(address, "/status"))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any])
        XCTAssertGreaterThanOrEqual(object["step"] as? Int ?? 0, 1, status)
        XCTAssertGreaterThanOrEqual(object["epoch"] as? Int ?? 0, 1, status)

        XCTAssertTrue(train.waitForExit(seconds: 300), train.log)
        XCTAssertEqual(train.status, 0, train.log)
        Self.assertEveryLineIsALogLine(train.log)
        XCTAssertTrue(train.log.contains(" info train: "), train.log)

        let provenance = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/run/provenance.json"))) as? [String: Any])
        for key in ["program", "revision", "swift", "host", "command_line", "started_at", "ended_at", "outcome", "data_digest", "configuration"] {
            XCTAssertNotNil(provenance[key], "provenance.json has \(key): \(provenance)")
        }
        XCTAssertEqual(provenance["outcome"] as? String, "finished")
        XCTAssertEqual((provenance["command_line"] as? [String])?.dropFirst().first, "train")
        XCTAssertEqual(provenance["revision"] as? String, info.labels["revision"])
        XCTAssertTrue((provenance["configuration"] as? String)?.contains("dense: 32") == true)
        XCTAssertEqual((provenance["data_digest"] as? String)?.count, 16)

        // The model file's metadata carries the same record (as one JSON string).
        let model = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/run/model.safetensors"))
        let headerLength = Int(model.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: model.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        let metadata = try XCTUnwrap(header["__metadata__"] as? [String: String])
        let recorded = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(metadata["provenance"]).utf8)) as? [String: Any])
        XCTAssertEqual(recorded["data_digest"] as? String, provenance["data_digest"] as? String)
        XCTAssertEqual(recorded["started_at"] as? String, provenance["started_at"] as? String)
        XCTAssertEqual(recorded["host"] as? String, provenance["host"] as? String)
    }

    func testACoordinatorServesCountersAndHistogramsOfItsWorkersAndEveryLineIsALogLine() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("metrics-cluster")
        try """
            model: cnn2d
            dense: 32
            epochs: 2
            batch_size: 32
            validation_fraction: 0.1
            threads: 1
            transport_security: plain

            """.write(toFile: "\(folder)/run.yaml", atomically: true, encoding: .utf8)
        let coordinator = try LoggedProcess(cifake, ["coordinator", "--config", "\(folder)/run.yaml", "--listen", "127.0.0.1:0",
                                                     "--status-listen", "127.0.0.1:0", "--min-workers", "1", "--out", "\(folder)/run"],
                                            home: folder)
        defer { coordinator.stop() }
        let address = try Self.address(of: coordinator)
        let endpoint = try XCTUnwrap(coordinator.waitForOutput("listening on tcp://", seconds: 120).map { String($0.split(separator: "tcp://").last!) },
                                     coordinator.log)
        let worker = try LoggedProcess(cifake, ["worker", "--coordinator", endpoint, "--config", "\(folder)/run.yaml", "--cache", "\(folder)/cache"],
                                       home: folder)
        defer { worker.stop() }
        let metrics = try Self.metricsAfterAStep(address, seconds: 180, process: coordinator)
        XCTAssertEqual(metrics.families["cifake_steps_total"]?.type, "counter")
        XCTAssertEqual(metrics.families["cifake_images_total"]?.type, "counter")
        for name in ["cifake_step_seconds", "cifake_compute_seconds", "cifake_all_reduce_seconds"] {
            XCTAssertEqual(metrics.families[name]?.type, "histogram", name)
        }
        XCTAssertGreaterThan(metrics.value("cifake_compute_seconds_count") ?? 0, 0)
        XCTAssertEqual(metrics.families["cifake_info"]?.samples.first?.labels["role"], "coordinator")
        XCTAssertNotNil(metrics.value("process_cpu_seconds_total"))

        XCTAssertTrue(coordinator.waitForExit(seconds: 300), coordinator.log)
        XCTAssertEqual(coordinator.status, 0, coordinator.log)
        XCTAssertTrue(worker.waitForExit(seconds: 60), worker.log)
        Self.assertEveryLineIsALogLine(coordinator.log)
        Self.assertEveryLineIsALogLine(worker.log)
        XCTAssertTrue(coordinator.log.contains(" info coordinator gen="), coordinator.log)
        XCTAssertTrue(worker.log.contains(" info worker rank=0 gen="), worker.log)
        // One numbering: the last step logged is the step of the last checkpoint file.
        let finished = try XCTUnwrap(coordinator.log.components(separatedBy: "finished after step ").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) },
                                     coordinator.log)
        XCTAssertTrue(FileManager.default.fileExists(atPath: String(format: "%@/run/checkpoints/step-%08d.safetensors", folder, finished)),
                      "step-\(finished) in \(folder)/run/checkpoints: \((try? FileManager.default.contentsOfDirectory(atPath: "\(folder)/run/checkpoints")) ?? [])")
        XCTAssertNotNil(FileManager.default.contents(atPath: "\(folder)/run/provenance.json"))
    }
}
