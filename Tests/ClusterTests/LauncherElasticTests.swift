import Checkpoints
import Foundation
import Storage
import TestSupport
import Training
import XCTest

/// The one-machine launcher is as elastic as the cluster: `cifake train --workers 3` with one
/// worker SIGKILLed mid-run restarts it under its name, it rejoins, and the run finishes (exit 0)
/// as an undisturbed run of the same configuration does.
final class LauncherElasticTests: XCTestCase {
    /// 4 epochs of 57 steps on the generated set; exact fp32 gradients (no `auto` pick that could
    /// differ after the ring re-forms), so replicas follow the undisturbed run's arithmetic.
    private func config(_ folder: String) throws -> String {
        let path = "\(folder)/run.yaml"
        try """
            model: cnn2d
            dense: 32
            epochs: 4
            batch_size: 32
            augment_flip: false
            augment_shift: 0
            validation_fraction: 0.1
            seed: 9
            threads: 1
            checkpoint_every: 10
            keep_checkpoints: 30
            gradient_compression: none

            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func accuracy(_ run: String) throws -> Double {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(run)/metrics.json"))) as? [String: Any]
        return try XCTUnwrap(object?["accuracy"] as? Double, "\(run)/metrics.json has an accuracy")
    }

    /// The tensors of a checkpoint file (weights and both moments), without its header.
    private func payload(_ path: String) throws -> ArraySlice<UInt8> {
        let bytes = try AtomicFile.read(path)
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        return bytes[(8 + n)...]
    }

    /// The pid in the newest "launcher: worker `index` started (pid N)" line.
    private func pid(ofWorker index: Int, in log: String) -> pid_t? {
        let marker = "launcher: worker \(index) started (pid "
        return log.components(separatedBy: marker).dropFirst().last.flatMap { pid_t($0.prefix { $0.isNumber }) }
    }

    func testAWorkerKilledMidRunIsRestartedRejoinsAndTheRunEndsAsAnUndisturbedOne() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("launcher-elastic")
        let config = try config(folder)
        let cluster = ["--workers", "3", "--worker-threads", "1"]
        let finalStep = 4 * 57

        let started = Date()
        let calm = try runProcess(cifake, ["train", "--config", config, "--out", "\(folder)/calm"] + cluster, environment: ["HOME": folder])
        XCTAssertEqual(calm.status, 0, calm.stderr)
        let calmSeconds = Date().timeIntervalSince(started)

        let launcher = try LoggedProcess(cifake, ["train", "--config", config, "--out", "\(folder)/killed"] + cluster, home: folder)
        defer { if launcher.isRunning { killTree(launcher.pid) } }
        // Mid-run: once the checkpoint of step 60 (of 228) is written, not after a sleep.
        let checkpoint = "\(folder)/killed/checkpoints/step-00000060.safetensors"
        let deadline = Date().addingTimeInterval(240)
        while !FileManager.default.fileExists(atPath: checkpoint) && Date() < deadline && launcher.isRunning { usleep(20_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint), launcher.log)
        let victim = try XCTUnwrap(pid(ofWorker: 2, in: launcher.log), launcher.log)
        XCTAssertEqual(kill(victim, SIGKILL), 0)
        let killedAt = Date()

        XCTAssertTrue(launcher.waitForExit(seconds: 240), "the run finished:\n\(launcher.log)")
        let log = launcher.log
        XCTAssertEqual(launcher.status, 0, log)
        XCTAssertTrue(log.contains("launcher: worker 2 was killed by signal 9 (SIGKILL): restarting it to rejoin as a new incarnation (2 of --max-restarts 3 left"), log)
        XCTAssertFalse(log.contains("stopping the cluster"), log)
        // The restart is a new process under the same name, and it trained again: it took a rank
        // in a generation formed after the kill.
        let restarted = try XCTUnwrap(pid(ofWorker: 2, in: log), log)
        XCTAssertNotEqual(restarted, victim)
        let afterRestart = log.components(separatedBy: "launcher: worker 2 started (pid \(restarted))").dropFirst().joined()
        // Workers label their own lines by rank; the launcher prints which worker holds which rank.
        let rejoined = afterRestart.split(separator: "\n").first { $0.contains("launcher: generation ") && $0.contains(" = worker 2") }
        XCTAssertNotNil(rejoined, "the restarted worker 2 rejoined with a rank:\n\(log)")
        XCTAssertTrue(afterRestart.contains(" worker rank=") && afterRestart.contains(" of 3 (generation "), "ranks are told:\n\(log)")
        print("launcher-elastic: undisturbed run \(String(format: "%.1f", calmSeconds)) s; killed worker 2 (pid \(victim)) after step 60, "
              + "run ended \(String(format: "%.1f", Date().timeIntervalSince(killedAt))) s later; \(rejoined.map(String.init) ?? "-")")

        // The same arithmetic: a fixed world size of 3 (--min-workers defaults to --workers), the
        // data split by rank whichever process holds it, and the restarted replica given the
        // state of a survivor; so the last checkpoint equals the undisturbed one bit for bit.
        let last = String(format: "checkpoints/step-%08d.safetensors", finalStep)
        XCTAssertTrue(try payload("\(folder)/calm/\(last)") == payload("\(folder)/killed/\(last)"),
                      "the final weights and moments equal the undisturbed run's")
        // And the kept model's test accuracy. Which checkpoint is kept depends on which ones the
        // evaluator had time to score, even undisturbed, so the two may be different checkpoints:
        // both must reach what this set guarantees after the first epochs (>= 0.98 of 500 test
        // images, as ChaosTests asks) and lie within 2 points (10 images) of each other.
        let calmAccuracy = try accuracy("\(folder)/calm"), killedAccuracy = try accuracy("\(folder)/killed")
        print("launcher-elastic: test accuracy undisturbed \(calmAccuracy), with the kill \(killedAccuracy)")
        XCTAssertGreaterThanOrEqual(calmAccuracy, 0.98)
        XCTAssertGreaterThanOrEqual(killedAccuracy, 0.98)
        XCTAssertLessThanOrEqual(abs(calmAccuracy - killedAccuracy), 0.02)
    }

    /// Beyond --max-restarts the worker stays down and the run goes on with the others, as long as
    /// --min-workers allows; the exit status is still the coordinator's.
    func testBeyondTheRestartLimitTheRunGoesOnWithFewerWorkers() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("launcher-fewer")
        let launcher = try LoggedProcess(cifake, ["train", "--config", try config(folder), "--out", "\(folder)/run", "--workers", "3",
                                                  "--worker-threads", "1", "--max-restarts", "0", "--min-workers", "2"], home: folder)
        defer { if launcher.isRunning { killTree(launcher.pid) } }
        let checkpoint = "\(folder)/run/checkpoints/step-00000060.safetensors"
        let deadline = Date().addingTimeInterval(240)
        while !FileManager.default.fileExists(atPath: checkpoint) && Date() < deadline && launcher.isRunning { usleep(20_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint), launcher.log)
        let victim = try XCTUnwrap(pid(ofWorker: 2, in: launcher.log), launcher.log)
        XCTAssertEqual(kill(victim, SIGKILL), 0)

        XCTAssertTrue(launcher.waitForExit(seconds: 240), "the run finished:\n\(launcher.log)")
        let log = launcher.log
        XCTAssertEqual(launcher.status, 0, log)
        XCTAssertTrue(log.contains("launcher: worker 2 was killed by signal 9 (SIGKILL) and no restarts are left (--max-restarts 0 used): "
                                   + "the run goes on with 2 worker(s) (--min-workers 2)"), log)
        XCTAssertEqual(pid(ofWorker: 2, in: log), victim, "not restarted")
        let after = log.components(separatedBy: "no restarts are left").dropFirst().joined()
        XCTAssertNotNil(after.split(separator: "\n").first { $0.contains(" coordinator gen=") && $0.contains(": generation ") && $0.contains(" forms with 2 workers") },
                        "the survivors formed a ring of 2:\n\(log)")
        let accuracy = try accuracy("\(folder)/run")
        print("launcher-elastic: with 2 of 3 workers after the kill, test accuracy \(accuracy)")
        XCTAssertGreaterThanOrEqual(accuracy, 0.98, "what this set guarantees, as for the undisturbed run")
    }

    /// The launcher's exit status is the coordinator's, also when the coordinator exits before
    /// it listens: a run folder held by another run gives 4, as a single-process run does.
    func testALaunchOnAFolderInUseExitsWithTheCoordinatorsStatus() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("launcher-status")
        let run = "\(folder)/run"
        let lock = try RunFolderLock.acquire(run)
        defer { lock.release() }
        let result = try runProcess(cifake, ["train", "--config", try config(folder), "--out", run, "--workers", "2", "--worker-threads", "1"],
                                    environment: ["HOME": folder])
        XCTAssertEqual(result.status, 4, result.stderr)
        XCTAssertTrue(result.stderr.contains("launcher: the coordinator exited before listening (status 4)"), result.stderr)
    }

    func testTheElasticFlagsAreCheckedBeforeAnythingStarts() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("launcher-flags")
        for (arguments, expected) in [(["--workers", "3", "--min-workers", "4"], "--min-workers must be 1...3 (--workers), found 4"),
                                      (["--workers", "2", "--min-workers", "0"], "--min-workers must be 1...2 (--workers), found 0"),
                                      (["--workers", "2", "--max-restarts=-1"], "--max-restarts must be 0...1000, found -1"),
                                      (["--max-restarts", "2"], "--min-workers and --max-restarts apply to a cluster run")] {
            let result = try runProcess(cifake, ["train", "--out", "\(folder)/run", "--epochs", "1"] + arguments,
                                        environment: ["HOME": folder, "CIFAKE_WORKERS": ""])
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(folder)/run/config.yaml"), "nothing was started")
    }
}
