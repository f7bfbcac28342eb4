import Foundation
import TestSupport
import XCTest

/// `cifake retrain` as a scheduler runs it: real processes against one registry folder.
final class RetrainCommandTests: XCTestCase {
    /// A registry, a small synthetic data folder (train/ and test/) and a configuration naming both.
    struct Setup {
        var cifake: String
        var folder: String
        var data: String { "\(folder)/data" }
        var registry: String { "\(folder)/registry" }
        var config: String { "\(folder)/retrain.yaml" }

        func retrain(_ environment: [String: String] = [:], _ extra: [String] = []) throws -> ProcessResult {
            try runProcess(cifake, ["retrain", "--config", config] + extra, environment: environment)
        }

        func candidates() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: "\(registry)/candidates").filter { !$0.hasPrefix(".") }.sorted()
        }

        func promoted() throws -> String {
            try String(contentsOfFile: "\(registry)/promoted", encoding: .utf8)
        }

        func evaluation(_ candidate: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(registry)/candidates/\(candidate)/evaluation.json"))) as! [String: Any]
        }

        func history() throws -> [[String: Any]] {
            try String(contentsOfFile: "\(registry)/history.jsonl", encoding: .utf8).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }
    }

    func setUp(_ name: String) throws -> Setup {
        let s = Setup(cifake: try Paths.cifake(), folder: Paths.temporaryFolder(name))
        let synth = try runProcess(s.cifake, ["data", "synth", "--out", s.data, "--train-per-class", "200", "--test-per-class", "50"])
        XCTAssertEqual(synth.status, 0, synth.stderr)
        try """
            # Retraining test: one short epoch on a small synthetic set.
            epochs: 1
            batch_size: 32
            augment_flip: false
            augment_shift: 0
            threads: 2
            data: \(s.data)
            registry: \(s.registry)
            """.write(toFile: s.config, atomically: true, encoding: .utf8)
        return s
    }

    func testFirstRunPromotesAnUnbeatableMarginKeepsAndNewImagesAreTrainedOn() throws {
        let s = try setUp("retrain")

        // 1. An empty registry: trained from scratch and promoted.
        let first = try s.retrain()
        XCTAssertEqual(first.status, 0, "promoted: \(first.stderr)")
        let c1 = try XCTUnwrap(s.candidates().first)
        XCTAssertEqual(try s.candidates(), [c1])
        XCTAssertNotNil(c1.range(of: #"^\d{8}T\d{6}Z-0001$"#, options: .regularExpression), c1)
        XCTAssertTrue(first.stdout.hasPrefix("promoted \(c1): "), first.stdout)
        XCTAssertEqual(try s.promoted(), "\(c1)\n")
        for file in ["config.yaml", "history.jsonl", "model.safetensors", "metrics.json", "evaluation.json", "report/index.html"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(s.registry)/candidates/\(c1)/\(file)"), "candidate has \(file)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(s.registry)/candidates/\(c1)/checkpoints"), "a decided candidate's checkpoints are removed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(s.registry)/lock"))
        let e1 = try s.evaluation(c1)
        XCTAssertEqual(e1["decision"] as? String, "promoted")
        XCTAssertNil(e1["warm_start_from"], "nothing to start from")
        XCTAssertEqual(e1["evaluation_images"] as? Int, 100, "the test folder of data")
        XCTAssertEqual(e1["train_images"] as? Int, 400)
        let c1Accuracy = try XCTUnwrap((e1["candidate_metrics"] as? [String: Any])?["accuracy"] as? Double)
        XCTAssertEqual(e1["candidate_value"] as? Double, c1Accuracy)

        // 2. A margin no model can beat: trained (warm-started), evaluated, not promoted.
        let pointer = try Data(contentsOf: URL(fileURLWithPath: "\(s.registry)/promoted"))
        let second = try s.retrain(["CIFAKE_PROMOTION_MARGIN": "1"])
        XCTAssertEqual(second.status, 3, "kept: \(second.stderr)")
        let c2 = try XCTUnwrap(s.candidates().last)
        XCTAssertNotEqual(c2, c1)
        XCTAssertTrue(second.stdout.hasPrefix("kept \(c2): candidate accuracy "), second.stdout)
        XCTAssertTrue(second.stderr.contains("warm start: initial weights from \(s.registry)/candidates/\(c1)/model.safetensors"), second.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(s.registry)/promoted")), pointer, "the pointer is untouched")
        let e2 = try s.evaluation(c2)
        XCTAssertEqual(e2["decision"] as? String, "kept")
        XCTAssertEqual(e2["warm_start_from"] as? String, c1)
        XCTAssertEqual(e2["promoted_before"] as? String, c1)
        XCTAssertEqual(e2["promoted_after"] as? String, c1)
        XCTAssertEqual(e2["evaluation_digest"] as? String, e1["evaluation_digest"] as? String, "the same fixed evaluation set")
        XCTAssertEqual(e2["promoted_value"] as? Double, c1Accuracy, "the promoted model scores again what it scored as a candidate")
        XCTAssertNotNil(e2["promoted_metrics"] as? [String: Any])
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(s.registry)/candidates/\(c2)/model.safetensors"), "a kept candidate stays in the registry")

        // 3. New images in the data folder are trained on; the evaluation set stays as it was.
        let extra = "\(s.folder)/extra"
        let synth = try runProcess(s.cifake, ["data", "synth", "--out", extra, "--train-per-class", "30", "--test-per-class", "1", "--seed", "9"])
        XCTAssertEqual(synth.status, 0, synth.stderr)
        for label in ["REAL", "FAKE"] {
            for file in try FileManager.default.contentsOfDirectory(atPath: "\(extra)/train/\(label)") {
                try FileManager.default.copyItem(atPath: "\(extra)/train/\(label)/\(file)", toPath: "\(s.data)/train/\(label)/new-\(file)")
            }
        }
        let third = try s.retrain()
        XCTAssertTrue([0, 3].contains(third.status), "decided: \(third.stderr)")
        let c3 = try XCTUnwrap(s.candidates().last)
        let e3 = try s.evaluation(c3)
        XCTAssertEqual(e3["train_images"] as? Int, 460, "the 60 new images are trained on")
        XCTAssertEqual(e3["evaluation_digest"] as? String, e1["evaluation_digest"] as? String)
        XCTAssertEqual(try s.promoted(), third.status == 0 ? "\(c3)\n" : "\(c1)\n")

        let history = try s.history()
        XCTAssertEqual(history.map { $0["candidate"] as? String }, [c1, c2, c3])
        XCTAssertEqual(history.map { $0["decision"] as? String }, ["promoted", "kept", third.status == 0 ? "promoted" : "kept"])
    }

    func testASecondRunIsRefusedAtOnceAndACrashLeavesNoStuckLockNorAChangedPointer() throws {
        let s = try setUp("retrain-lock")
        let first = try s.retrain()
        XCTAssertEqual(first.status, 0, first.stderr)
        let c1 = try XCTUnwrap(s.candidates().first)
        let pointer = try Data(contentsOf: URL(fileURLWithPath: "\(s.registry)/promoted"))

        // A long run: holds the lock, and is killed once its first epoch is done.
        let long = Process()
        long.executableURL = URL(fileURLWithPath: s.cifake)
        long.arguments = ["retrain", "--config", s.config]
        long.environment = ProcessInfo.processInfo.environment.merging(["CIFAKE_EPOCHS": "2000"]) { $1 }
        long.standardOutput = FileHandle.nullDevice
        long.standardError = FileHandle.nullDevice
        try long.run()
        defer { if long.isRunning { killTree(long.processIdentifier) } }
        let deadline = Date().addingTimeInterval(120)
        var c2: String?
        while Date() < deadline, long.isRunning {
            if let last = try s.candidates().last, last != c1,
               FileManager.default.fileExists(atPath: "\(s.registry)/candidates/\(last)/history.jsonl") {
                c2 = last
                break
            }
            usleep(50_000)
        }
        let candidate = try XCTUnwrap(c2, "the long run started training")
        XCTAssertTrue(try String(contentsOfFile: "\(s.registry)/lock", encoding: .utf8).hasPrefix("pid \(long.processIdentifier) on "))

        let began = Date()
        let refused = try s.retrain()
        XCTAssertEqual(refused.status, 4, refused.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(began), 15, "exits at once")
        XCTAssertTrue(refused.stderr.contains("another retraining run (pid \(long.processIdentifier) on "), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("holds \(s.registry)/lock"), refused.stderr)
        XCTAssertEqual(try s.candidates().count, 2, "the refused run made no candidate")
        XCTAssertTrue(long.isRunning, "the refused run did not disturb the long one")

        // Crash mid-run.
        killTree(long.processIdentifier)
        long.waitUntilExit()
        XCTAssertEqual(long.terminationReason, .uncaughtSignal)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(s.registry)/promoted")), pointer, "the pointer survives the crash")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(s.registry)/candidates/\(candidate)/model.safetensors"))

        // The next run gets the lock, notes the interrupted candidate, and decides.
        let next = try s.retrain()
        XCTAssertTrue([0, 3].contains(next.status), "decided: \(next.stderr)")
        XCTAssertTrue(next.stderr.contains("candidate \(candidate) was interrupted"), next.stderr)
        XCTAssertEqual(try s.evaluation(candidate)["decision"] as? String, "interrupted")
        let history = try s.history()
        XCTAssertEqual(history.map { $0["decision"] as? String }, ["promoted", "interrupted", next.status == 0 ? "promoted" : "kept"])
        XCTAssertEqual(history[1]["candidate"] as? String, candidate)
        XCTAssertEqual(try s.candidates().count, 3)
        let again = try s.retrain()
        XCTAssertTrue([0, 3].contains(again.status), "the interrupted candidate is noted once: \(again.stderr)")
        XCTAssertEqual(try s.history().filter { $0["decision"] as? String == "interrupted" }.count, 1)
    }

    /// SIGTERM to a retraining run (a CronJob's pod deleted, a systemd stop): it stops between
    /// steps, records the candidate as interrupted, leaves the promoted model alone and exits 75.
    func testSIGTERMRecordsAnInterruptedCandidateAndExits75() throws {
        let s = try setUp("retrain-sigterm")
        let first = try s.retrain()
        XCTAssertEqual(first.status, 0, first.stderr)
        let pointer = try Data(contentsOf: URL(fileURLWithPath: "\(s.registry)/promoted"))
        let long = try LoggedProcess(s.cifake, ["retrain", "--config", s.config], home: NSTemporaryDirectory(),
                                     environment: ["CIFAKE_EPOCHS": "2000"])
        defer { long.stop() }
        XCTAssertNotNil(long.waitForLog("epoch 1/2000", seconds: 120), long.log)
        kill(long.pid, SIGTERM)
        XCTAssertTrue(long.waitForExit(seconds: 60), long.log)
        XCTAssertEqual(long.status, 75, long.log)
        let candidate = try XCTUnwrap(s.candidates().last)
        XCTAssertEqual(try s.evaluation(candidate)["decision"] as? String, "interrupted")
        XCTAssertTrue((try s.evaluation(candidate)["reason"] as? String)?.contains("stopped by SIGTERM") == true)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(s.registry)/promoted")), pointer, "the promoted model is unchanged")
        XCTAssertEqual(try s.history().map { $0["decision"] as? String }, ["promoted", "interrupted"])
    }

    func testConfigurationErrorsAndFailuresHaveTheirExitCodes() throws {
        let s = try setUp("retrain-errors")

        let noRegistry = try runProcess(s.cifake, ["retrain", "--data", s.data, "--epochs", "1"])
        XCTAssertEqual(noRegistry.status, 2, noRegistry.stderr)
        XCTAssertTrue(noRegistry.stderr.contains("registry: not set"), noRegistry.stderr)

        let badMetric = try s.retrain(["CIFAKE_PROMOTION_METRIC": "precision"])
        XCTAssertEqual(badMetric.status, 2, badMetric.stderr)
        XCTAssertTrue(badMetric.stderr.contains("promotion_metric: found 'precision'") && badMetric.stderr.contains("CIFAKE_PROMOTION_METRIC"), badMetric.stderr)

        // A data folder without a test folder and no evaluation_data: no fixed set to compare on.
        let flat = "\(s.folder)/flat"
        try FileManager.default.copyItem(atPath: "\(s.data)/train", toPath: flat)
        let moving = try s.retrain([:], ["--data", flat])
        XCTAssertEqual(moving.status, 2, moving.stderr)
        XCTAssertTrue(moving.stderr.contains("evaluation_data: not set"), moving.stderr)
        // ... which evaluation_data provides.
        let fixed = try s.retrain([:], ["--data", flat, "--evaluation-data", "\(s.data)/test"])
        XCTAssertEqual(fixed.status, 0, fixed.stderr)
        XCTAssertEqual(try s.evaluation(s.candidates().last!)["evaluation_images"] as? Int, 100)
        let pointer = try s.promoted()
        // "Kept" as a success, for a scheduler that knows only success and failure.
        let keptAsSuccess = try s.retrain(["CIFAKE_PROMOTION_MARGIN": "1"], ["--data", flat, "--evaluation-data", "\(s.data)/test", "--kept-exit-code", "0"])
        XCTAssertEqual(keptAsSuccess.status, 0, keptAsSuccess.stderr)
        XCTAssertTrue(keptAsSuccess.stdout.hasPrefix("kept "), keptAsSuccess.stdout)
        XCTAssertEqual(try s.promoted(), pointer)

        // Missing data: failed, recorded, the promoted model untouched.
        let failed = try s.retrain([:], ["--data", "\(s.folder)/nowhere"])
        XCTAssertEqual(failed.status, 1, failed.stderr)
        XCTAssertTrue(failed.stderr.contains("retraining failed") && failed.stderr.contains("\(s.folder)/nowhere"), failed.stderr)
        XCTAssertEqual(try s.promoted(), pointer)
        XCTAssertEqual(try s.history().last?["decision"] as? String, "failed")
        XCTAssertEqual(try s.evaluation(s.candidates().last!)["decision"] as? String, "failed")
    }

    /// `retrain --workers 2`: the candidate is trained by a local cluster (coordinator, two
    /// workers, evaluator), warm-started on every rank from the promoted model, with the same
    /// gate and exit codes; a worker killed mid-run is restarted and the run still decides.
    func testWorkersTrainTheCandidateAsAClusterWarmStartedAndSurviveAKilledWorker() throws {
        let s = try setUp("retrain-workers")
        let cluster = ["--workers", "2", "--worker-threads", "1"]

        let first = try s.retrain([:], cluster)
        XCTAssertEqual(first.status, 0, "promoted: \(first.stderr)")
        let c1 = try XCTUnwrap(s.candidates().first)
        XCTAssertTrue(first.stderr.contains("coordinator"), "a cluster trained it:\n\(first.stderr)")
        XCTAssertEqual(try s.promoted(), "\(c1)\n")
        XCTAssertEqual(try s.evaluation(c1)["decision"] as? String, "promoted")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(s.registry)/candidates/\(c1)/model.safetensors"))

        let second = try s.retrain(["CIFAKE_PROMOTION_MARGIN": "1"], cluster)
        XCTAssertEqual(second.status, 3, "kept: \(second.stderr)")
        let c2 = try XCTUnwrap(s.candidates().last)
        XCTAssertTrue(second.stderr.contains("warm start: every worker starts from the weights of \(s.registry)/candidates/\(c1)/model.safetensors"),
                      second.stderr)
        XCTAssertEqual(second.stderr.components(separatedBy: "loaded the checkpoint of step 0 from the coordinator").count - 1, 2,
                       "both ranks start from the promoted model:\n\(second.stderr)")
        XCTAssertEqual(try s.evaluation(c2)["warm_start_from"] as? String, c1)
        XCTAssertEqual(try s.promoted(), "\(c1)\n", "the pointer is untouched")

        // A longer run; one worker is killed once the cluster trains.
        let run = try LoggedProcess(s.cifake, ["retrain", "--config", s.config] + cluster, home: s.folder,
                                    environment: ["CIFAKE_EPOCHS": "10"])
        defer { run.stop() }
        XCTAssertNotNil(run.waitForLog("epoch 2/10", seconds: 240), run.log)
        let workers = try runProcess("/usr/bin/pgrep", ["-P", "\(run.pid)", "-f", "cifake worker"]).stdout.split(separator: "\n")
        let victim = try XCTUnwrap(workers.first.flatMap { pid_t($0) }, "a worker process of \(run.pid):\n\(run.log)")
        kill(victim, SIGKILL)
        XCTAssertTrue(run.waitForExit(seconds: 300), run.log)
        XCTAssertTrue([0, 3].contains(run.status), "decided despite the killed worker:\n\(run.log)")
        XCTAssertTrue(run.log.contains("this worker gets a peer's state"), "the restarted worker rejoined the warm-started run:\n\(run.log)")
        let c3 = try XCTUnwrap(s.candidates().last)
        XCTAssertNotEqual(c3, c2)
        XCTAssertEqual(try s.evaluation(c3)["decision"] as? String, run.status == 0 ? "promoted" : "kept")
        XCTAssertEqual(try s.history().count, 3)
    }

    /// `retrain --listen`: the retraining process is the coordinator of a scheduled job and two
    /// worker processes join it (as they would from other machines); promotion and exit codes as
    /// for one process, and the second run's workers start from the promoted model.
    func testListenCoordinatesWorkersThatJoinFromElsewhere() throws {
        let s = try setUp("retrain-listen")
        func run(_ environment: [String: String]) throws -> (status: Int32, log: String) {
            // Unencrypted, as on one machine (the CURVE handshakes have their own tests).
            let plain = ["CIFAKE_TRANSPORT_SECURITY": "plain"]
            let coordinator = try LoggedProcess(s.cifake, ["retrain", "--config", s.config, "--listen", "127.0.0.1:0", "--min-workers", "2"],
                                                home: s.folder, environment: environment.merging(plain) { a, _ in a })
            defer { coordinator.stop() }
            let endpoint = try XCTUnwrap(coordinator.waitForOutput("listening on tcp://", seconds: 120)
                .map { String($0.split(separator: "tcp://").last!) }, coordinator.log)
            let workers = try (0..<2).map { _ in
                try LoggedProcess(s.cifake, ["worker", "--coordinator", endpoint, "--cache", "\(s.folder)/cache"], home: s.folder, environment: plain)
            }
            defer { workers.forEach { $0.stop() } }
            XCTAssertTrue(coordinator.waitForExit(seconds: 300), coordinator.log)
            for w in workers { XCTAssertTrue(w.waitForExit(seconds: 60), w.log) }
            return (coordinator.status, coordinator.log + workers.map(\.log).joined())
        }
        let first = try run([:])
        XCTAssertEqual(first.status, 0, "promoted: \(first.log)")
        let c1 = try XCTUnwrap(s.candidates().first)
        XCTAssertEqual(try s.promoted(), "\(c1)\n")
        let second = try run(["CIFAKE_PROMOTION_MARGIN": "1"])
        XCTAssertEqual(second.status, 3, "kept: \(second.log)")
        XCTAssertTrue(second.log.contains("warm start: every worker starts from the weights of \(s.registry)/candidates/\(c1)/model.safetensors"), second.log)
        XCTAssertEqual(second.log.components(separatedBy: "loaded the checkpoint of step 0 from the coordinator").count - 1, 2, second.log)
        XCTAssertEqual(try s.history().map { $0["decision"] as? String }, ["promoted", "kept"])
    }
}
