#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import XCTest

/// Every role serves its own `/metrics`, with real processes: a coordinator, two workers and an
/// evaluator, each with `--status-listen 127.0.0.1:0`, scraped while the run trains and read by
/// the strict ``PrometheusText`` parser; each shows at least one counter and one histogram whose
/// values agree with the steps it ran. Then a resumed `train` records both of its starts in
/// provenance.json.
final class RoleMetricsProcessTests: XCTestCase {
    typealias Real = RealProcessMetricsTests

    /// Scrapes `/metrics` at `address` until `done` accepts it (parsed strictly), within `seconds`.
    static func metrics(_ address: String, seconds: Double, of process: LoggedProcess, until done: (PrometheusText) -> Bool) throws -> PrometheusText {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline && process.isRunning {
            if let body = Real.get(address, "/metrics") {
                last = body
                let parsed = try PrometheusText(body)
                if done(parsed) { return parsed }
            }
            usleep(100_000)
        }
        XCTFail("http://\(address)/metrics never got there within \(seconds) s; last page:\n\(last)\nlog:\n\(process.log)")
        throw XCTSkip("no metrics")
    }

    /// The status code `path` answers with (0 when nothing answers).
    static func statusCode(_ address: String, _ path: String) -> Int {
        guard let port = UInt16(address.split(separator: ":").last ?? "") else { return 0 }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr)
        let connected = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return 0 }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(path) HTTP/1.1\r\nHost: test\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 12, Int32(MSG_WAITALL)) }
        guard n == 12 else { return 0 }
        return Int(String(decoding: buffer[9..<12], as: UTF8.self)) ?? 0
    }

    /// A histogram's `_count`, and its buckets' counts in order (cumulative, so never decreasing:
    /// the parser checked that and that the last is `+Inf` and equals `_count`).
    static func count(_ m: PrometheusText, _ name: String) -> Double? { m.value(name + "_count") }

    func testACoordinatorTwoWorkersAndAnEvaluatorEachServeCountersAndHistogramsOfWhatTheyDid() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("metrics-roles")
        // Long enough that it is still training while every page is read; stopped with SIGTERM after.
        try """
            model: cnn2d
            dense: 32
            epochs: 40
            batch_size: 32
            validation_fraction: 0.1
            threads: 1
            checkpoint_every: 4
            gradient_compression: none
            transport_security: plain

            """.write(toFile: "\(folder)/run.yaml", atomically: true, encoding: .utf8)
        let coordinator = try LoggedProcess(cifake, ["coordinator", "--config", "\(folder)/run.yaml", "--listen", "127.0.0.1:0",
                                                     "--status-listen", "127.0.0.1:0", "--min-workers", "2", "--out", "\(folder)/run"],
                                            home: folder)
        defer { coordinator.stop() }
        let coordinatorStatus = try Real.address(of: coordinator)
        let endpoint = try XCTUnwrap(coordinator.waitForOutput("listening on tcp://", seconds: 120).map { String($0.split(separator: "tcp://").last!) },
                                     coordinator.log)
        func join(_ arguments: [String]) throws -> (LoggedProcess, String) {
            let process = try LoggedProcess(cifake, arguments + ["--coordinator", endpoint, "--config", "\(folder)/run.yaml",
                                                                 "--cache", "\(folder)/cache", "--status-listen", "127.0.0.1:0"], home: folder)
            return (process, try Real.address(of: process))
        }
        let (worker0, worker0Status) = try join(["worker", "--rank", "0"])
        defer { worker0.stop() }
        let (worker1, worker1Status) = try join(["worker", "--rank", "1"])
        defer { worker1.stop() }
        let (evaluator, evaluatorStatus) = try join(["evaluator"])
        defer { evaluator.stop() }
        XCTAssertEqual(Set([coordinatorStatus, worker0Status, worker1Status, evaluatorStatus]).count, 4, "a port each")

        // Workers: their own steps, images, ring bytes and four histograms, counted once per step.
        var ring: [Int: (sent: Double, received: Double, steps: Double)] = [:]
        for (rank, address, worker) in [(0, worker0Status, worker0), (1, worker1Status, worker1)] {
            let m = try Self.metrics(address, seconds: 240, of: worker) { ($0.value("cifake_steps_total") ?? 0) >= 3 }
            let info = try XCTUnwrap(m.families["cifake_info"]?.samples.first)
            XCTAssertEqual(info.labels["role"], "worker")
            XCTAssertEqual(info.labels["rank"], "\(rank)")
            XCTAssertEqual(m.value("cifake_rank"), Double(rank))
            XCTAssertEqual(m.families["cifake_steps_total"]?.type, "counter")
            let steps = try XCTUnwrap(m.value("cifake_steps_total"))
            // Started at step 0 in one generation: steps counted = the step it reports (1-based).
            XCTAssertEqual(m.value("cifake_step"), steps, "the step reported is the steps counted")
            XCTAssertGreaterThanOrEqual(m.value("cifake_generation") ?? 0, 1)
            for histogram in ["cifake_compute_seconds", "cifake_all_reduce_seconds", "cifake_ring_communication_seconds"] {
                XCTAssertEqual(m.families[histogram]?.type, "histogram", histogram)
                XCTAssertEqual(Self.count(m, histogram), steps, "\(histogram): one observation per step")
            }
            // The first step of a generation has no step before it to be timed from.
            XCTAssertEqual(Self.count(m, "cifake_step_seconds"), steps - 1)
            let images = try XCTUnwrap(m.value("cifake_images_total"))
            XCTAssertTrue(images >= steps && images <= steps * 16, "its shard of each batch of 32: \(images) images in \(steps) steps")
            let sent = try XCTUnwrap(m.value("cifake_ring_sent_bytes_total")), received = try XCTUnwrap(m.value("cifake_ring_received_bytes_total"))
            // Exact Float32 gradients on two ranks: each sends half the buffer twice (reduce-scatter,
            // all-gather), the whole gradient (about 93 k floats for this model) a step, plus headers.
            XCTAssertGreaterThan(sent / steps, 4 * 50_000)
            XCTAssertLessThanOrEqual(abs(sent - received), sent / steps, "a two-rank ring sends what it receives, step by step")
            XCTAssertEqual(m.value("cifake_gradient_compression_info", labels: ["requested": "none", "method": "none"]), 1)
            XCTAssertNotNil(m.value("process_cpu_seconds_total"))
            XCTAssertEqual(Self.statusCode(address, "/readyz"), 200, "in a formed ring with its data")
            let status = try XCTUnwrap(Real.get(address, "/status"))
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any])
            XCTAssertEqual(object["role"] as? String, "worker")
            XCTAssertEqual(object["rank"] as? Int, rank)
            XCTAssertGreaterThanOrEqual(object["step"] as? Int ?? 0, Int(steps), status)
            ring[rank] = (sent, received, steps)
        }
        XCTAssertEqual(ring.count, 2)
        // The same schedule on both ranks: the same bytes a step.
        let perStep = ring.values.map { $0.sent / $0.steps }
        XCTAssertEqual(perStep[0], perStep[1], accuracy: perStep[0] * 0.01, "\(ring)")

        // The evaluator: checkpoints fetched and evaluated, timed, with their scores.
        let e = try Self.metrics(evaluatorStatus, seconds: 240, of: evaluator) { ($0.value("cifake_evaluations_total") ?? 0) >= 1 }
        XCTAssertEqual(e.families["cifake_info"]?.samples.first?.labels["role"], "evaluator")
        XCTAssertEqual(e.families["cifake_evaluations_total"]?.type, "counter")
        let evaluations = try XCTUnwrap(e.value("cifake_evaluations_total"))
        XCTAssertEqual(Self.count(e, "cifake_evaluation_seconds"), evaluations, "one observation per evaluation")
        XCTAssertGreaterThanOrEqual(e.value("cifake_checkpoints_fetched_total") ?? 0, evaluations)
        XCTAssertTrue((0...1).contains(e.value("cifake_eval_accuracy") ?? -1), "\(String(describing: e.value("cifake_eval_accuracy")))")
        XCTAssertTrue((0...1).contains(e.value("cifake_eval_auc") ?? -1), "\(String(describing: e.value("cifake_eval_auc")))")
        XCTAssertEqual((e.value("cifake_eval_step") ?? 0).truncatingRemainder(dividingBy: 4), 0, "a checkpoint's step (checkpoint_every 4)")
        XCTAssertNil(e.families["cifake_steps_total"], "an evaluator trains no steps")
        XCTAssertEqual(Self.statusCode(evaluatorStatus, "/readyz"), 200)

        // The coordinator's counters cover every rank's steps (it counts a step once all ranks did it).
        let c = try Self.metrics(coordinatorStatus, seconds: 60, of: coordinator) { ($0.value("cifake_steps_total") ?? 0) >= 3 }
        XCTAssertEqual(c.families["cifake_info"]?.samples.first?.labels["role"], "coordinator")
        XCTAssertEqual(Self.count(c, "cifake_compute_seconds"), 2 * (c.value("cifake_steps_total") ?? 0), "two ranks a step")

        // SIGTERM: the run stops after a final checkpoint and every process exits 75.
        kill(coordinator.pid, SIGTERM)
        for process in [coordinator, worker0, worker1] {
            XCTAssertTrue(process.waitForExit(seconds: 120), process.log)
            XCTAssertEqual(process.status, 75, process.log)
        }
        XCTAssertTrue(evaluator.waitForExit(seconds: 60), evaluator.log)
        for process in [coordinator, worker0, worker1, evaluator] { Real.assertEveryLineIsALogLine(process.log) }
    }

    /// `train --workers 2 --status-listen 127.0.0.1:0`: each child its own port, named in the launcher's log.
    func testALocalClusterGivesEveryProcessItsOwnStatusPort() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("metrics-local-cluster")
        let launcher = try LoggedProcess(cifake, ["train", "--workers", "2", "--dense", "32", "--epochs", "3", "--threads", "1",
                                                  "--out", "\(folder)/run", "--status-listen", "127.0.0.1:0"], home: folder)
        defer { launcher.stop() }
        var addresses: [String: String] = [:]
        for child in ["coordinator", "worker 0", "worker 1", "evaluator"] {
            let line = try XCTUnwrap(launcher.waitForLog(" \(child): status on http://", seconds: 120), launcher.log)
            addresses[child] = String(line.components(separatedBy: "http://").last!.split(separator: "/")[0])
        }
        XCTAssertEqual(Set(addresses.values).count, 4, "\(addresses)")
        for worker in ["worker 0", "worker 1"] {
            let m = try Self.metrics(addresses[worker]!, seconds: 120, of: launcher) { ($0.value("cifake_steps_total") ?? 0) >= 1 }
            XCTAssertEqual(m.families["cifake_info"]?.samples.first?.labels["role"], "worker")
            XCTAssertEqual(m.value("cifake_compute_seconds_count"), m.value("cifake_steps_total"))
        }
        XCTAssertTrue(launcher.waitForExit(seconds: 300), launcher.log)
        XCTAssertEqual(launcher.status, 0, launcher.log)
    }

    func testAResumedTrainRecordsBothStartsInProvenance() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("provenance-sessions")
        let command = ["train", "--dense", "32", "--epochs", "2", "--threads", "1", "--out", "\(folder)/run", "--status-listen", "127.0.0.1:0"]
        let first = try LoggedProcess(cifake, command, home: folder)
        defer { first.stop() }
        let address = try Real.address(of: first)
        _ = try Self.metrics(address, seconds: 120, of: first) { ($0.value("cifake_steps_total") ?? 0) >= 1 }
        let during = try Provenance(folder)
        XCTAssertEqual(during.sessions.count, 1, "written as it starts")
        XCTAssertTrue(during.sessions[0]["ended_at"] == nil || during.sessions[0]["ended_at"] is NSNull)
        kill(first.pid, SIGTERM)
        XCTAssertTrue(first.waitForExit(seconds: 120), first.log)
        XCTAssertEqual(first.status, 75, first.log)

        let second = try LoggedProcess(cifake, command, home: folder)
        defer { second.stop() }
        XCTAssertTrue(second.waitForExit(seconds: 300), second.log)
        XCTAssertEqual(second.status, 0, second.log)
        XCTAssertTrue(second.log.contains("continuing the run"), second.log)

        let record = try Provenance(folder)
        XCTAssertEqual(record.sessions.map { $0["outcome"] as? String }, ["stopped", "finished"])
        XCTAssertEqual(record.sessions.map { $0["pid"] as? Int }, [Int(first.pid), Int(second.pid)])
        for session in record.sessions {
            for key in ["started_at", "ended_at", "host", "command_line", "program", "revision"] { XCTAssertNotNil(session[key], key) }
        }
        XCTAssertEqual(record.object["sessions_dropped"] as? Int, 0)
        XCTAssertEqual(record.object["started_at"] as? String, record.sessions[0]["started_at"] as? String, "the run began with its first start")
        XCTAssertEqual(record.object["ended_at"] as? String, record.sessions[1]["ended_at"] as? String)
        XCTAssertEqual(record.object["outcome"] as? String, "finished")
        XCTAssertLessThan(record.sessions[0]["ended_at"] as? String ?? "", record.sessions[1]["started_at"] as? String ?? "")
    }

    /// provenance.json as JSON: the whole object and its sessions.
    struct Provenance {
        var object: [String: Any]
        var sessions: [[String: Any]]
        init(_ folder: String) throws {
            object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/run/provenance.json"))) as? [String: Any])
            sessions = try XCTUnwrap(object["sessions"] as? [[String: Any]], "\(object)")
        }
    }
}
