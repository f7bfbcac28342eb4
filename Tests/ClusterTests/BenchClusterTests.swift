import Foundation
import TestSupport
import XCTest

/// `cifake bench cluster`: a real coordinator and two workers in network namespaces on shaped
/// links (D=1024 at 50 mbit/s: steps of about 1.5 s, long enough to read the counters at step
/// boundaries and to interrupt a run mid-way). The figures come out as JSON, the bytes on the wire match
/// the ring all-reduce's, and the namespaces are gone afterwards, also after SIGINT mid-run.
///
/// Needs root (namespaces and links); skipped otherwise, or where `ip netns add` fails.
final class BenchClusterTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("network namespaces need root") }
        let probe = try runProcess("/bin/sh", ["-c", "ip netns add cifake-probe-\(getpid()) && ip netns del cifake-probe-\(getpid())"])
        guard probe.status == 0 else { throw MissingRequirement.unavailable("cannot create network namespaces here: \(probe.stderr)") }
        folder = Paths.temporaryFolder("bench-cluster")
        try "model: cnn2d\ndense: 1024\nbatch_size: 16\naugment_shift: 0\ngradient_compression: none\n".write(toFile: "\(folder)/d1024.yaml", atomically: true, encoding: .utf8)
    }

    private func arguments(rate: String, steps: Int) -> [String] {
        ["bench", "cluster", "--hosts", "2", "--rate", rate, "--config", "\(folder)/d1024.yaml", "--warmup", "2",
         "--steps", "\(steps)", "--single-seconds", "0.2", "--json"]
    }

    /// Namespaces and processes the benchmark with process id `pid` may have left.
    private func leftovers(of pid: Int32) throws -> [String] {
        let namespaces = try runProcess("/bin/sh", ["-c", "ip netns list"]).stdout.split(separator: "\n")
            .filter { $0.hasPrefix("cifake-bench-\(pid)-") }.map(String.init)
        let work = "cifake-bench-cluster-\(pid)/"
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { entry -> String? in
            guard Int32(entry) != nil, let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let line = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return line.contains(work) ? "process \(entry): \(line)" : nil
        } ?? []
        return namespaces + processes
    }

    func testTwoWorkersOnShapedLinksGiveTheFiguresAndLeaveNothingBehind() throws {
        let cifake = try Paths.cifake()
        let process = try LoggedProcess(cifake, arguments(rate: "200mbit", steps: 6), home: folder)
        XCTAssertTrue(process.waitForExit(seconds: 240), "the benchmark ends:\n\(process.log)")
        XCTAssertEqual(process.status, 0, process.output + process.log)
        let line = try XCTUnwrap(process.output.split(separator: "\n").last { $0.hasPrefix("{") }, process.output)
        let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let result = try XCTUnwrap(record["result"] as? [String: Any])
        XCTAssertEqual(record["transport_security"] as? String, "curve")
        XCTAssertTrue((record["shaping"] as? String ?? "").contains("rate 200mbit"), "\(record)")
        XCTAssertEqual(result["timed_steps"] as? Int, 6)
        XCTAssertEqual(result["images_per_step"] as? Double, 32)
        XCTAssertGreaterThan(result["cluster_images_per_second"] as? Double ?? 0, 0)
        XCTAssertGreaterThan(result["single_images_per_second"] as? Double ?? 0, 0)
        XCTAssertEqual(result["generations"] as? Int, 1)
        let ranks = try XCTUnwrap(result["per_rank"] as? [[String: Any]])
        XCTAssertEqual(ranks.count, 2)
        XCTAssertTrue(ranks.allSatisfy { ($0["compute_seconds"] as? Double ?? 0) > 0 }, "\(ranks)")
        // Each worker sends its share of the ring all-reduce of the fp32 gradient every step, plus
        // TCP/IP, CURVE and control overheads: a little more. The counters are read when the
        // step log shows a step, and by then the workers may have sent part of the next step's
        // gradient (overlapped with its backward): the window can miss up to one step's share,
        // so per step at least (1 - 1/steps) of it (seen on a loaded machine: 0.957).
        let wire = try XCTUnwrap(result["wire"] as? [String: Any])
        let ideal = try XCTUnwrap(wire["ring_fp32_bytes_per_worker"] as? Double)
        let spanned = try XCTUnwrap((wire["steps"] as? NSNumber)?.doubleValue)
        for sent in try XCTUnwrap(wire["worker_tx_bytes"] as? [Double]) {
            XCTAssertGreaterThan(sent, (1 - 1 / spanned) * ideal, "\(wire)")
            XCTAssertLessThan(sent, 1.3 * ideal, "\(wire)")
        }
        XCTAssertTrue(process.output.contains("scaling efficiency: "), process.output)
        XCTAssertTrue(process.log.contains("the run ended cleanly"), process.log)
        XCTAssertEqual(try leftovers(of: process.pid), [])
    }

    func testSIGINTMidRunStopsEverythingAndDeletesTheNamespaces() throws {
        let cifake = try Paths.cifake()
        let process = try LoggedProcess(cifake, arguments(rate: "200mbit", steps: 30), home: folder)
        XCTAssertNotNil(process.waitForLog("training: first step logged", seconds: 180), process.log)
        XCTAssertFalse(try leftovers(of: process.pid).isEmpty, "the namespaces exist while it runs")
        kill(process.pid, SIGINT)
        XCTAssertTrue(process.waitForExit(seconds: 30), "the benchmark ends on SIGINT:\n\(process.log)")
        XCTAssertEqual(process.status, 130, process.log)
        XCTAssertTrue(process.log.contains("interrupted (SIGINT)"), process.log)
        XCTAssertEqual(try leftovers(of: process.pid), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "cifake-bench-cluster-\(process.pid)"))
    }
}
