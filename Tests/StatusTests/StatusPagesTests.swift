import Foundation
import XCTest
@testable import Status

func sampleSnapshot() -> StatusSnapshot {
    var s = StatusSnapshot(role: "coordinator")
    s.phase = "training"
    s.generation = 3
    s.members = [.init(rank: 0, nodeID: "node-a", host: "10.0.0.1"), .init(rank: 1, nodeID: "node-b", host: "10.0.0.2")]
    s.step = 1234
    s.totalSteps = 5000
    s.epoch = 2
    s.epochs = 20
    s.loss = 0.25
    s.imagesPerSecond = 1520.5
    s.slowestRank = 1
    s.perRank = [.init(rank: 0, computeSeconds: 0.02, allReduceWaitSeconds: 0.005), .init(rank: 1, computeSeconds: 0.03, allReduceWaitSeconds: 0)]
    s.lastCheckpoint = .init(step: 1000, path: "runs/x/checkpoint-1000")
    s.lastEvaluation = .init(step: 1000, epoch: 2, accuracy: 0.9412, loss: nil)
    return s
}

final class StatusPagesTests: XCTestCase {
    func testRequestHeadParsing() {
        XCTAssertEqual(HTTPRequestHead.parse(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n".utf8)), .incomplete)
        XCTAssertEqual(HTTPRequestHead.parse(Array("GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
                       .request(HTTPRequestHead(method: "GET", path: "/metrics", version: "HTTP/1.1")))
        XCTAssertEqual(HTTPRequestHead.parse(Array("POST /status HTTP/1.0\n\n".utf8)),
                       .request(HTTPRequestHead(method: "POST", path: "/status", version: "HTTP/1.0")))
        guard case .malformed = HTTPRequestHead.parse(Array("hello\r\n\r\n".utf8)) else { return XCTFail() }
        guard case .malformed = HTTPRequestHead.parse(Array("GET /x HTTP/2\r\n\r\n".utf8)) else { return XCTFail() }
        guard case .malformed = HTTPRequestHead.parse([0xFF, 0xFE, 0x20, 0x0D, 0x0A, 0x0D, 0x0A]) else { return XCTFail() }
    }

    func testRoutes() {
        func get(_ method: String, _ path: String) -> HTTPResponse {
            StatusRoutes.respond(to: HTTPRequestHead(method: method, path: path, version: "HTTP/1.1"), snapshot: sampleSnapshot, program: ProgramIdentity(version: "v1"))
        }
        XCTAssertEqual(get("GET", "/healthz").status, 200)
        XCTAssertEqual(get("GET", "/healthz").body, "ok")
        XCTAssertEqual(get("GET", "/status").contentType, "application/json")
        XCTAssertEqual(get("GET", "/metrics").contentType, "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual(get("GET", "/").status, 404)
        XCTAssertEqual(get("GET", "/metrics/x").status, 404)
        XCTAssertEqual(get("POST", "/metrics").status, 405)
        XCTAssertEqual(get("HEAD", "/healthz").status, 200)
        XCTAssertFalse(get("HEAD", "/healthz").includesBody)
        XCTAssertEqual(get("PUT", "/healthz").headers.first?.1, "GET, HEAD")
        XCTAssertEqual(get("DELETE", "/nope").status, 404, "an unknown path is 404 whatever the method")
    }

    /// `/healthz` is liveness (the process answers); `/readyz` waits for the data and the port.
    func testReadinessWaitsForTheRoleToBeReady() {
        func readyz(_ snapshot: StatusSnapshot) -> HTTPResponse {
            StatusRoutes.respond(to: HTTPRequestHead(method: "GET", path: "/readyz", version: "HTTP/1.1"), snapshot: { snapshot }, program: ProgramIdentity(version: "v1"))
        }
        var loading = StatusSnapshot(role: "coordinator")
        XCTAssertEqual(readyz(loading).status, 503)
        XCTAssertTrue(readyz(loading).body.contains("not ready: starting"), readyz(loading).body)
        loading.ready = true
        XCTAssertEqual(readyz(loading).status, 200)
    }

    func testStatusJSONHasEveryKeyWithNullsForTheUnknown() throws {
        let full = try JSONSerialization.jsonObject(with: Data(StatusJSON.render(sampleSnapshot(), program: ProgramIdentity(version: "v1")).utf8)) as! [String: Any]
        XCTAssertEqual(full["generation"] as? Int, 3)
        XCTAssertEqual(full["workers"] as? Int, 2)
        XCTAssertEqual((full["members"] as? [[String: Any]])?.map { $0["node_id"] as? String }, ["node-a", "node-b"])
        XCTAssertEqual(full["step"] as? Int, 1234)
        XCTAssertEqual(full["epoch"] as? Int, 2)
        XCTAssertEqual(full["images_per_second"] as? Double, 1520.5)
        XCTAssertEqual(full["slowest_rank"] as? Int, 1)
        XCTAssertEqual((full["last_checkpoint"] as? [String: Any])?["step"] as? Int, 1000)
        XCTAssertEqual((full["last_evaluation"] as? [String: Any])?["accuracy"] as? Double, 0.9412)
        XCTAssertTrue((full["last_evaluation"] as? [String: Any])?["loss"] is NSNull)

        let empty = try JSONSerialization.jsonObject(with: Data(StatusJSON.render(StatusSnapshot(role: "coordinator"), program: ProgramIdentity(version: "v1")).utf8)) as! [String: Any]
        XCTAssertEqual(Set(empty.keys), Set(full.keys), "the same keys whatever is known")
        for key in ["step", "epoch", "images_per_second", "slowest_rank", "last_checkpoint", "last_evaluation"] {
            XCTAssertTrue(empty[key] is NSNull, key)
        }
    }

    func testMetricsFollowTheTextExpositionFormat() throws {
        var snapshot = sampleSnapshot()
        snapshot.countStep(images: 64, stepSeconds: 0.04, compute: [0.02, 0.03], allReduce: [0.005, 0])
        snapshot.countStep(images: 64, stepSeconds: 75, compute: [0.02, 0.03], allReduce: [0.005, 0])
        let text = MetricsExposition.render(snapshot, version: "cifake \"0.1\"\\n", revision: "abc", swift: "Swift 6.3",
                                            process: ProcessMetrics(cpuSeconds: 1.5, residentBytes: 4096, startTimeSeconds: 1.7e9, openFileDescriptors: 9))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.last, "", "ends with a line feed")
        for required in ["cifake_step 1234", "cifake_images_per_second 1520.5", "cifake_workers 2", "cifake_generation 3",
                         "cifake_last_checkpoint_step 1000", "cifake_eval_accuracy 0.9412", "cifake_training 1",
                         "cifake_rank_compute_seconds{rank=\"1\"} 0.03", "cifake_slowest_rank 1",
                         "cifake_info{version=\"cifake \\\"0.1\\\"\\\\n\",revision=\"abc\",swift=\"Swift 6.3\",role=\"coordinator\"} 1",
                         "cifake_steps_total 2", "cifake_images_total 128", "cifake_step_seconds_bucket{le=\"0.05\"} 1",
                         "cifake_step_seconds_bucket{le=\"+Inf\"} 2", "cifake_step_seconds_count 2", "cifake_all_reduce_seconds_count 4",
                         "process_cpu_seconds_total 1.5", "process_open_fds 9"] {
            XCTAssertTrue(lines.contains(Substring(required)), "missing \(required) in\n\(text)")
        }
        let parsed = try PrometheusText(text)
        XCTAssertEqual(parsed.value("cifake_info", labels: ["version": "cifake \"0.1\"\\n", "revision": "abc", "swift": "Swift 6.3", "role": "coordinator"]), 1)
        XCTAssertEqual(Set(parsed.names(ofType: "histogram")), ["cifake_step_seconds", "cifake_compute_seconds", "cifake_all_reduce_seconds"])
        XCTAssertTrue(parsed.names(ofType: "counter").contains("cifake_steps_total"))
        // Unknown values have no sample, but keep their description; a single process has no all-reduce.
        let empty = MetricsExposition.render(StatusSnapshot(role: "train"), version: "v")
        XCTAssertTrue(empty.contains("# TYPE cifake_step gauge\n# HELP"), empty)
        XCTAssertTrue(empty.contains("cifake_workers 0\n"))
        XCTAssertFalse(empty.contains("all_reduce_seconds_bucket"))
        XCTAssertEqual(try PrometheusText(empty).value("cifake_step_seconds_count"), 0)
        XCTAssertEqual(MetricsExposition.format(.nan), "NaN")
        XCTAssertEqual(MetricsExposition.format(-.infinity), "-Inf")
        XCTAssertEqual(MetricsExposition.format(3), "3")
    }

    /// The parser refuses what Prometheus would refuse (so its passing the real pages means something).
    func testTheStrictParserRefusesBrokenText() {
        let good = "# HELP a_seconds x\n# TYPE a_seconds histogram\na_seconds_bucket{le=\"1\"} 1\na_seconds_bucket{le=\"+Inf\"} 2\na_seconds_sum 3\na_seconds_count 2\n"
        XCTAssertNoThrow(try PrometheusText(good))
        let broken = [
            good.replacingOccurrences(of: "a_seconds_count 2", with: "a_seconds_count 3"),                    // count is not +Inf
            good.replacingOccurrences(of: "{le=\"1\"} 1", with: "{le=\"1\"} 5"),                              // decreasing
            good.replacingOccurrences(of: "a_seconds_bucket{le=\"+Inf\"} 2\n", with: ""),                     // no +Inf
            good.replacingOccurrences(of: "a_seconds_sum 3\n", with: ""),                                     // no sum
            "# HELP b x\n# TYPE b gauge\nb{l=\"\\q\"} 1\n",                                                   // bad escape
            "# HELP b x\n# TYPE b gauge\nb{l=\"v\",l=\"w\"} 1\n",                                              // label twice
            "# HELP b x\n# TYPE b gauge\nb  1\n",                                                              // two spaces
            "# HELP b x\n# TYPE b counter\nb -1\n",                                                            // negative counter
            "# TYPE b gauge\nb 1\n",                                                                          // TYPE without HELP
            "# HELP b x\n# TYPE b gauge\nc 1\n",                                                               // other family
            "# HELP b x\n# TYPE b gauge\nb 1",                                                                 // no final line feed
            "# HELP 1b x\n# TYPE 1b gauge\n",                                                                   // bad name
            "# HELP b x\n# TYPE b gauge\nb one\n",                                                             // bad value
        ]
        for text in broken { XCTAssertThrowsError(try PrometheusText(text), text) }
    }
}

/// The pages of a worker and an evaluator: one renderer, each role its own families.
final class RolePagesTests: XCTestCase {
    func testAWorkerShowsItsStepsRingAndCompressionAndNothingOfTheWholeRun() throws {
        var s = StatusSnapshot.worker()
        s.rank = 1
        s.generation = 2
        s.ring?.requestedCompression = "auto"
        s.ring?.compression = "bf16"
        for seconds in [0.02, 0.3, 7.0] {
            s.countStep(images: 16, stepSeconds: seconds, compute: [seconds / 2], allReduce: [seconds / 4])
            s.ring?.communicationSeconds.observe(seconds / 3)
        }
        s.ring?.bytesSent = 1_048_600
        s.ring?.bytesReceived = 1_048_576
        let parsed = try PrometheusText(MetricsExposition.render(s, version: "v", revision: "r", swift: "Swift 6.3",
                                                                 process: ProcessMetrics(cpuSeconds: 1, residentBytes: 2, startTimeSeconds: 3, openFileDescriptors: 4)))
        XCTAssertEqual(parsed.value("cifake_info", labels: ["version": "v", "revision": "r", "swift": "Swift 6.3", "role": "worker", "rank": "1"]), 1)
        XCTAssertEqual(parsed.value("cifake_steps_total"), 3)
        XCTAssertEqual(parsed.value("cifake_images_total"), 48)
        XCTAssertEqual(parsed.value("cifake_ring_sent_bytes_total"), 1_048_600)
        XCTAssertEqual(parsed.value("cifake_ring_received_bytes_total"), 1_048_576)
        XCTAssertEqual(parsed.value("cifake_gradient_compression_info", labels: ["requested": "auto", "method": "bf16"]), 1)
        XCTAssertEqual(parsed.value("cifake_generation"), 2)
        XCTAssertEqual(parsed.value("cifake_rank"), 1)
        XCTAssertEqual(Set(parsed.names(ofType: "histogram")),
                       ["cifake_step_seconds", "cifake_compute_seconds", "cifake_all_reduce_seconds", "cifake_ring_communication_seconds"])
        for name in parsed.names(ofType: "histogram") { XCTAssertEqual(parsed.value(name + "_count"), 3, name) }
        XCTAssertEqual(parsed.value("cifake_step_seconds_bucket", labels: ["le": "0.025"]), 1)
        XCTAssertEqual(parsed.value("cifake_step_seconds_bucket", labels: ["le": "5"]), 2)
        XCTAssertEqual(parsed.value("process_cpu_seconds_total"), 1)
        // The coordinator's view of the run is not a worker's to show.
        for name in ["cifake_workers", "cifake_slowest_rank", "cifake_checkpoints_total", "cifake_evaluations_total", "cifake_eval_accuracy"] {
            XCTAssertNil(parsed.families[name], name)
        }
        // Before the ring agreed on a method: the family is described, without a sample.
        var early = StatusSnapshot.worker()
        early.rank = nil
        let before = try PrometheusText(MetricsExposition.render(early, version: "v"))
        XCTAssertEqual(before.families["cifake_gradient_compression_info"]?.samples.count, 0)
        XCTAssertNil(before.families["cifake_info"]?.samples.first?.labels["rank"])
    }

    func testAnEvaluatorShowsItsEvaluationsAndNoTrainingSteps() throws {
        var s = StatusSnapshot.evaluator()
        s.ready = true
        s.evaluator?.checkpointsFetchedTotal = 3
        s.evaluationsTotal = 2
        s.evaluator?.evaluationSeconds.observe(0.4)
        s.evaluator?.evaluationSeconds.observe(12)
        s.lastEvaluation = .init(step: 40, accuracy: 0.8125, loss: 0.41, auc: 0.9)
        let parsed = try PrometheusText(MetricsExposition.render(s, version: "v"))
        XCTAssertEqual(parsed.families["cifake_evaluations_total"]?.type, "counter")
        XCTAssertEqual(parsed.value("cifake_evaluations_total"), 2)
        XCTAssertEqual(parsed.value("cifake_checkpoints_fetched_total"), 3)
        XCTAssertEqual(parsed.names(ofType: "histogram"), ["cifake_evaluation_seconds"])
        XCTAssertEqual(parsed.value("cifake_evaluation_seconds_count"), 2)
        XCTAssertEqual(parsed.value("cifake_evaluation_seconds_sum"), 12.4)
        XCTAssertEqual(parsed.value("cifake_eval_accuracy"), 0.8125)
        XCTAssertEqual(parsed.value("cifake_eval_auc"), 0.9)
        XCTAssertEqual(parsed.value("cifake_eval_step"), 40)
        for name in ["cifake_steps_total", "cifake_step_seconds", "cifake_generation", "cifake_workers"] {
            XCTAssertNil(parsed.families[name], name)
        }
        let status = try JSONSerialization.jsonObject(with: Data(StatusJSON.render(s, program: ProgramIdentity(version: "v")).utf8)) as! [String: Any]
        XCTAssertEqual(status["role"] as? String, "evaluator")
        XCTAssertEqual(status["checkpoints_fetched"] as? Int, 3)
        XCTAssertEqual((status["last_evaluation"] as? [String: Any])?["auc"] as? Double, 0.9)
        XCTAssertTrue(status["rank"] is NSNull)
        XCTAssertEqual(Set(status.keys),
                       Set((try JSONSerialization.jsonObject(with: Data(StatusJSON.render(sampleSnapshot(), program: ProgramIdentity(version: "v")).utf8)) as! [String: Any]).keys),
                       "every role's /status has the same keys")
    }
}
