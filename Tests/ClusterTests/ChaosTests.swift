import Checkpoints
import Foundation
import Storage
import TestSupport
import Training
import XCTest

/// Proof by chaos, with real processes on 127.0.0.1: a worker killed, a worker frozen past the
/// deadline and thawed, the coordinator killed and restarted, the lead killed while it uploads a
/// checkpoint. Each run must finish, reach the accuracy of an undisturbed run, and leave a
/// readable checkpoint. Detection times and steps lost are printed.
final class ChaosTests: XCTestCase {
    private static func config(dense: Int, checkpointEvery: Int, epochs: Int) -> String { """
        model: cnn2d
        dense: \(dense)
        checkpoint_every: \(checkpointEvery)
        epochs: \(epochs)
        batch_size: 32
        augment_flip: false
        augment_shift: 0
        validation_fraction: 0.1
        seed: 9
        threads: 1
        transport_security: plain

        """
    }

    private struct Cluster {
        var folder: String
        var coordinator: LoggedProcess
        var endpoint: String
        var workers: [LoggedProcess]
        var epochs: Int
    }

    private func start(_ name: String, workers count: Int, minWorkers: Int, dense: Int = 32, checkpointEvery: Int = 10, epochs: Int = 4) throws -> Cluster {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("chaos-\(name)")
        try Self.config(dense: dense, checkpointEvery: checkpointEvery, epochs: epochs).write(toFile: "\(folder)/run.yaml", atomically: true, encoding: .utf8)
        let coordinator = try LoggedProcess(cifake, ["coordinator", "--config", "\(folder)/run.yaml", "--listen", "127.0.0.1:0",
                                                     "--min-workers", "\(minWorkers)", "--max-workers", "\(count)", "--out", "\(folder)/run"],
                                            home: folder)
        let endpoint = try XCTUnwrap(coordinator.waitForOutput("listening on tcp://", seconds: 120).map { String($0.split(separator: "tcp://").last!) },
                                     coordinator.log)
        var workers: [LoggedProcess] = []
        for _ in 0..<count {
            workers.append(try LoggedProcess(cifake, ["worker", "--coordinator", endpoint, "--config", "\(folder)/run.yaml",
                                                      "--cache", "\(folder)/cache"], home: folder))
        }
        return Cluster(folder: folder, coordinator: coordinator, endpoint: endpoint, workers: workers, epochs: epochs)
    }

    /// The pid of the worker holding `rank` in the newest generation the coordinator formed.
    private func pid(ofRank rank: Int, in log: String) -> pid_t? {
        // The member list only: the line's prefix (`gen=G: `) may end in the rank's digit too.
        guard let line = log.split(separator: "\n").last(where: { $0.contains(" forms with ") }),
              let members = line.components(separatedBy: " forms with ").last?.split(separator: "[", maxSplits: 1).last,
              let entry = (", " + members).components(separatedBy: ", \(rank): ").dropFirst().first,
              let node = entry.split(separator: "@").first, let pid = node.split(separator: "-").last else { return nil }
        return pid_t(pid)
    }

    private func accuracy(_ run: String) throws -> Double {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(run)/metrics.json"))) as! [String: Any]
        return object["accuracy"] as! Double
    }

    /// The run ended, the kept model's accuracy is that of an undisturbed run (1.0 on this set,
    /// within 2 points), and the newest checkpoint decodes with both checksums.
    private func assertFinishedWell(_ cluster: Cluster, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(cluster.coordinator.waitForExit(seconds: 300), "the run finished:\n\(cluster.coordinator.log)", file: file, line: line)
        XCTAssertEqual(cluster.coordinator.status, 0, cluster.coordinator.log, file: file, line: line)
        XCTAssertGreaterThan(try accuracy("\(cluster.folder)/run"), 0.98, "accuracy of an undisturbed run", file: file, line: line)
        let store = CheckpointStore(runFolder: "\(cluster.folder)/run", keep: 3)
        let latest = try XCTUnwrap(store.pointer("latest"), file: file, line: line)
        XCTAssertEqual(latest, cluster.epochs * 57, "the last step's checkpoint", file: file, line: line)
        XCTAssertNoThrow(try Checkpoint.decode(AtomicFile.read(store.path(step: latest)), source: "latest"), file: file, line: line)
        // The data stays where it is: the run references the coordinator's cached pack by digest.
        let runFiles = try FileManager.default.contentsOfDirectory(atPath: "\(cluster.folder)/run")
        XCTAssertFalse(runFiles.contains { $0.hasSuffix(".cifakepk") }, "no copy of the data in the run folder: \(runFiles)", file: file, line: line)
        let cached = try FileManager.default.contentsOfDirectory(atPath: "\(cluster.folder)/.cache/cifake").filter { $0.hasSuffix(".cifakepk") }
        XCTAssertEqual(cached.count, 1, "the coordinator's pack, named by its digest: \(cached)", file: file, line: line)
    }

    private func seconds(since start: Date) -> String { String(format: "%.2f s", Date().timeIntervalSince(start)) }

    /// Once the run reaches `epoch`, sends `signal` to rank `rank`'s worker and waits for the
    /// coordinator to declare it dead (printing how long that took). Returns the worker's pid, the
    /// death line and when the signal was sent.
    private func disturb(_ cluster: Cluster, rank: Int, with signal: Int32, named name: String,
                         at epoch: String) throws -> (pid: pid_t, dead: String, sent: Date) {
        XCTAssertNotNil(cluster.coordinator.waitForLog(epoch, seconds: 240), cluster.coordinator.log)
        let victim = try XCTUnwrap(pid(ofRank: rank, in: cluster.coordinator.log), cluster.coordinator.log)
        let sent = Date()
        kill(victim, signal)
        let dead = try XCTUnwrap(cluster.coordinator.waitForLog("is dead: no heartbeat", seconds: 30), cluster.coordinator.log)
        print("chaos: \(name) of rank \(rank) detected in \(seconds(since: sent)): \(dead)")
        return (victim, dead, sent)
    }

    func testAKilledWorkerIsNamedWithinSecondsAndTheSurvivorsFinish() throws {
        let cluster = try start("kill", workers: 3, minWorkers: 2)
        defer { cluster.coordinator.stop(); cluster.workers.forEach { $0.stop() } }
        let (_, dead, killed) = try disturb(cluster, rank: 1, with: SIGKILL, named: "SIGKILL", at: "epoch 2/4")
        XCTAssertLessThan(Date().timeIntervalSince(killed), 5.5, "declared dead within the 4 s deadline (plus a tick)")
        XCTAssertTrue(dead.contains("rank 1") && dead.contains("on 127.0.0.1"), "names the rank and host: \(dead)")
        // The survivors' generation: the first start after the death, and the step it starts at.
        var restart: String?
        for _ in 0..<600 where restart == nil {
            restart = cluster.coordinator.log.components(separatedBy: "is dead").dropFirst().joined()
                .split(separator: "\n").first { $0.contains("worker(s) start at step") }.map(String.init)
            if restart == nil { usleep(50_000) }
        }
        let started = try XCTUnwrap(restart, "a new generation started after the death:\n\(cluster.coordinator.log)")
        XCTAssertTrue(started.contains("2 worker(s)"), started)
        print("chaos: after the kill: \(started)\(cluster.coordinator.log.contains("are recomputed") ? " (steps recomputed: see the log)" : " (nothing recomputed)")")
        try assertFinishedWell(cluster)
    }

    func testAFrozenWorkerIsFencedOutAndRejoinsAfterThawing() throws {
        // Longer, so that the thawed worker is back well before the end.
        let cluster = try start("freeze", workers: 3, minWorkers: 2, epochs: 8)
        defer { cluster.coordinator.stop(); cluster.workers.forEach { $0.stop() } }
        let victim = try disturb(cluster, rank: 2, with: SIGSTOP, named: "SIGSTOP", at: "epoch 2/8").pid
        sleep(2)
        kill(victim, SIGCONT)
        // Thawed, it learns it was fenced out, joins again and gets the survivors' state.
        let worker = cluster.workers.first { $0.pid == victim }!
        XCTAssertNotNil(worker.waitForLog("loaded rank", seconds: 60), "the thawed worker rejoined with a peer's state:\n\(worker.log)")
        try assertFinishedWell(cluster)
        XCTAssertTrue(worker.waitForExit(seconds: 30), "the thawed worker ends:\n\(worker.log)")
        XCTAssertEqual(worker.status, 0, worker.log)
    }

    func testACoordinatorKilledAndRestartedResumesAndTheWorkersReconnect() throws {
        let cifake = try Paths.cifake()
        // A slower model, so the workers are mid-run when the coordinator dies.
        var cluster = try start("coordinator", workers: 2, minWorkers: 2, dense: 512)
        defer { cluster.coordinator.stop(); cluster.workers.forEach { $0.stop() } }
        XCTAssertNotNil(cluster.coordinator.waitForLog("epoch 2/4", seconds: 240), cluster.coordinator.log)
        cluster.coordinator.kill()
        let port = cluster.endpoint.split(separator: ":").last!
        let restarted = try LoggedProcess(cifake, ["coordinator", "--resume", "\(cluster.folder)/run", "--config", "\(cluster.folder)/run.yaml",
                                                   "--listen", "127.0.0.1:\(port)", "--min-workers", "2"], home: cluster.folder)
        cluster.coordinator = restarted
        XCTAssertNotNil(restarted.waitForLog("resuming from", seconds: 60), restarted.log)
        XCTAssertNotNil(restarted.waitForLog("serving the cached pack", seconds: 60), "a restart reuses the pack:\n\(restarted.log)")
        try assertFinishedWell(cluster)
        for w in cluster.workers {
            XCTAssertTrue(w.waitForExit(seconds: 30))
            XCTAssertEqual(w.status, 0, w.log)
        }
        // The epochs trained while the coordinator was away reach history.jsonl from the workers.
        let history = try EpochRecord.readHistory("\(cluster.folder)/run/history.jsonl")
        XCTAssertEqual(history.map(\.epoch), [1, 2, 3, 4], "every epoch is in the history:\n\(restarted.log)")
        XCTAssertTrue(history.allSatisfy { $0.trainLoss.isFinite && $0.trainAccuracy > 0.5 }, "\(history)")
        if let start = restarted.log.split(separator: "\n").first(where: { $0.contains("starts at step") }),
           let resumed = restarted.log.split(separator: "\n").first(where: { $0.contains("resuming from") }) {
            print("chaos: coordinator restart: \(resumed) | \(start)")
        }
    }

    func testTheLeadKilledWhileUploadingACheckpointLosesNothingConsolidated() throws {
        // A checkpoint every step: whenever rank 0 dies, it is in the middle of a consolidation.
        let cluster = try start("consolidation", workers: 3, minWorkers: 2, checkpointEvery: 1)
        defer { cluster.coordinator.stop(); cluster.workers.forEach { $0.stop() } }
        XCTAssertNotNil(cluster.coordinator.waitForLog("epoch 2/4", seconds: 240), cluster.coordinator.log)
        let before = CheckpointStore(runFolder: "\(cluster.folder)/run", keep: 3).pointer("latest")
        let lead = try XCTUnwrap(pid(ofRank: 0, in: cluster.coordinator.log), cluster.coordinator.log)
        kill(lead, SIGKILL)
        XCTAssertNotNil(cluster.coordinator.waitForLog("is dead", seconds: 30), cluster.coordinator.log)
        if let before {
            let store = CheckpointStore(runFolder: "\(cluster.folder)/run", keep: 3)
            XCTAssertNoThrow(try Checkpoint.decode(AtomicFile.read(store.path(step: store.pointer("latest") ?? before)), source: "latest after the kill"))
        }
        try assertFinishedWell(cluster)
    }
}
