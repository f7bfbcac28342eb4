import Coordination
import Foundation
import TestSupport
import Transport
import Wire
import XCTest

/// A peer that never joined, on plain TCP where anyone can reach the ports, against a real
/// coordinator and two real workers: it cannot steer the run, grow the coordinator without
/// bound, or stop a worker with junk on its ring port.
final class HostilePeerTests: XCTestCase {
    func testAPeerThatNeverJoinedCannotSteerGrowOrStopTheRun() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("hostile-peer")
        try """
            model: cnn2d
            dense: 32
            epochs: 8
            batch_size: 32
            validation_fraction: 0.1
            early_stopping_patience: 2
            augment_shift: 0
            seed: 3
            threads: 1
            transport_security: plain
            """.write(toFile: "\(folder)/config.yaml", atomically: true, encoding: .utf8)
        let coordinator = try LoggedProcess(cifake, ["coordinator", "--config", "\(folder)/config.yaml", "--listen", "127.0.0.1:0",
                                                     "--min-workers", "2", "--out", "\(folder)/run"], home: folder)
        defer { coordinator.stop() }
        let endpoint = try XCTUnwrap(coordinator.waitForOutput("listening on tcp://", seconds: 120).map { String($0.split(separator: "tcp://").last!) },
                                     coordinator.log)
        let context = try ZMQContext()
        let intruder = try ZMQSocket(context: context, type: .dealer)
        defer { intruder.close() }
        try intruder.set(.linger, 0)
        try intruder.connect("tcp://\(endpoint)")

        // Asks for the data 500 times and never reads: the coordinator serves one chunk, not 500.
        let before = try residentMegabytes(coordinator.pid)
        for _ in 0..<500 {
            _ = try intruder.send(WireCodec.encode(.dataRequest(ByteRangeRequest(step: 0, offset: 0, length: 4 << 20)), generation: 0))
        }
        // Claims to be rank 0 with a validation that would win every comparison and stop the run early.
        for epoch in 1...3 {
            let winner = EvaluationResult(step: epoch, epoch: epoch, validation: .init(loss: 0, accuracy: 1, f1: 1, auc: 1))
            _ = try intruder.send(WireCodec.encode(.evaluationResult(winner), generation: 0))
        }
        XCTAssertNotNil(coordinator.waitForLog("ignored an evaluation result", seconds: 60), coordinator.log)
        Thread.sleep(forTimeInterval: 1)
        let grown = try residentMegabytes(coordinator.pid) - before
        print(String(format: "hostile: 500 unread data requests grew the coordinator by %.1f MB", grown))
        XCTAssertLessThan(grown, 64, "500 unread requests grew the coordinator by \(grown) MB")

        let workers = try (0..<2).map { _ in
            try LoggedProcess(cifake, ["worker", "--coordinator", endpoint, "--config", "\(folder)/config.yaml", "--threads", "1"], home: folder)
        }
        defer { workers.forEach { $0.stop() } }
        // Junk on rank 0's ring port, as soon as the ring is known: a frame of one part, a header
        // that is not one, and a frame far larger than any the ring sends.
        let ringLine = try XCTUnwrap(workers[0].waitForLog("; ring: tcp://", seconds: 120), workers[0].log)
        let ringEndpoint = try XCTUnwrap(ringLine.split(separator: "ring: ").last?.split(separator: " ").first.map(String.init), ringLine)
        let junk = try ZMQSocket(context: context, type: .push)
        defer { junk.close() }
        try junk.set(.linger, 0)
        try junk.connect(ringEndpoint)
        _ = try junk.send(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        _ = try junk.send([UInt8](repeating: 0x41, count: 40), more: true)
        _ = try junk.send([UInt8](repeating: 0, count: 64))
        // The endpoint is rank 0's, which either process may hold.
        let deadline = Date().addingTimeInterval(120)
        while !workers.contains(where: { $0.log.contains("ring: dropped") }) && Date() < deadline { usleep(50_000) }
        XCTAssertTrue(workers.contains { $0.log.contains("ring: dropped") }, "rank 0 reports the junk:\n\(workers.map(\.log).joined(separator: "\n"))")

        XCTAssertTrue(coordinator.waitForExit(seconds: 300), coordinator.log)
        XCTAssertEqual(coordinator.status, 0, coordinator.log)
        for w in workers {
            XCTAssertTrue(w.waitForExit(seconds: 60), w.log)
            XCTAssertEqual(w.status, 0, w.log)
        }
        let evaluations = try String(contentsOfFile: "\(folder)/run/evaluations.jsonl", encoding: .utf8)
        let lines = evaluations.split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 2, "rank 0 validated its epochs:\n\(evaluations)")
        // The injected results named steps 1-3; rank 0 validates at epoch ends (step 57, 114, ...).
        let steps = try lines.map { try XCTUnwrap((try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["step"] as? Int) }
        XCTAssertTrue(steps.allSatisfy { $0 > 3 }, "every evaluation is rank 0's own:\n\(evaluations)")
    }

    private func residentMegabytes(_ pid: pid_t) throws -> Double {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        let kilobytes = try XCTUnwrap(Double(line.split(separator: " ").dropFirst().first ?? ""))
        return kilobytes / 1024
    }
}
