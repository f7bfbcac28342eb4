import Checkpoints
import Foundation
import TestSupport
import Training
import XCTest

/// Self-resuming roles, with real processes: a `train` or a coordinator killed (SIGKILL) and
/// started again with the very same command, as Kubernetes, Slurm's requeue or systemd do,
/// continues the same run in the same folder from its newest checkpoint; a finished run started
/// again exits 0 at once; a folder holding another configuration's run is refused by key.
final class SelfResumeTests: XCTestCase {
    /// The job's configuration, `job.yaml` in `folder`: no `out`, so the run folder is the
    /// default one, named by the job (`runs/job`).
    private func jobConfig(_ folder: String, dense: Int = 32, epochs: Int = 3, extra: String = "") throws -> String {
        let path = "\(folder)/job.yaml"
        try """
            model: cnn2d
            dense: \(dense)
            epochs: \(epochs)
            batch_size: 32
            augment_flip: false
            augment_shift: 0
            validation_fraction: 0.1
            seed: 3
            threads: 1
            checkpoint_every: 10
            keep_checkpoints: 3
            transport_security: plain
            \(extra)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A TCP port on 127.0.0.1 free a moment ago (the kernel's pick), so that the same command,
    /// with the same port, can be started twice.
    private func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        XCTAssertTrue(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private func waitForFile(_ path: String, while process: LoggedProcess, seconds: Double = 240) {
        let deadline = Date().addingTimeInterval(seconds)
        while !FileManager.default.fileExists(atPath: path) && Date() < deadline && process.isRunning { usleep(20_000) }
    }

    /// Waits until `run`'s `latest` checkpoint is of `step` or later, or `process` ends. A cluster
    /// consolidates a checkpoint at every epoch end, but between them it skips offers while an
    /// upload is still under way (often, on a loaded machine): a named mid-epoch file may never
    /// appear.
    private func waitForCheckpoint(_ run: String, atLeast step: Int, while process: LoggedProcess, seconds: Double = 240) {
        let deadline = Date().addingTimeInterval(seconds)
        while (newestStep(run) ?? 0) < step && Date() < deadline && process.isRunning { usleep(20_000) }
    }

    /// The step of the newest consolidated checkpoint in `run`, its `latest` pointer (what a
    /// restart must resume from: a cluster's newer file may still await the ranks' agreement).
    private func newestStep(_ run: String) -> Int? { CheckpointStore(runFolder: run, keep: 3).pointer("latest") }

    /// steps.jsonl after a killed and resumed run: every line whole, no step twice, the run's last
    /// step recorded; with `contiguous` (the single process flushes at each checkpoint) no gap either.
    private func assertStepsRecordedOnce(_ run: String, lastStep: Int, contiguous: Bool, _ log: String,
                                         file: StaticString = #filePath, line: UInt = #line) throws {
        let path = "\(run)/\(StepsFile.fileName)"
        let records = StepsFile.read(path)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, records.count, "every line a record, no step twice:\n\(log)", file: file, line: line)
        XCTAssertEqual(records.last?.step, lastStep, log, file: file, line: line)
        if contiguous { XCTAssertEqual(records.map(\.step), Array(1...lastStep), log, file: file, line: line) }
    }

    /// The step a restarted process says it continues from: "... from PATH: step N ...".
    private func resumedStep(_ log: String, _ phrase: String) -> Int? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains(phrase) }),
              let range = line.range(of: ": step ") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    /// Runs `arguments` in `folder` to its end within `seconds` and checks its exit status and
    /// that its log says `text`.
    @discardableResult
    private func expect(_ arguments: [String], in folder: String, status: Int32, saying text: String, seconds: Double = 30,
                        environment: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> LoggedProcess {
        let process = try LoggedProcess(try Paths.cifake(), arguments, home: folder, environment: environment, directory: folder)
        XCTAssertTrue(process.waitForExit(seconds: seconds), process.log, file: file, line: line)
        XCTAssertEqual(process.status, status, process.log, file: file, line: line)
        XCTAssertTrue(process.log.contains(text), process.log, file: file, line: line)
        return process
    }

    func testTrainKilledAndStartedAgainWithTheSameCommandContinuesAndAFinishedRunExitsAtOnce() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("self-resume-train")
        _ = try jobConfig(folder)
        let command = ["train", "--config", "job.yaml"]
        let run = "\(folder)/runs/job"

        let first = try LoggedProcess(cifake, command, home: folder, directory: folder)
        waitForFile("\(run)/checkpoints/step-00000080.safetensors", while: first)
        first.kill()
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(run)/model.safetensors"), "killed before the end:\n\(first.log)")
        let before = try XCTUnwrap(newestStep(run), first.log)

        let second = try LoggedProcess(cifake, command, home: folder, directory: folder)
        XCTAssertTrue(second.waitForExit(seconds: 300), second.log)
        XCTAssertEqual(second.status, 0, second.log)
        XCTAssertTrue(second.log.contains("continuing the run (resume: auto)"), second.log)
        XCTAssertEqual(resumedStep(second.log, "resumed from"), before, "no step recomputed beyond the last checkpoint:\n\(second.log)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(folder)/runs"), ["job"], "no new run folder")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(run)/metrics.json"), second.log)
        let history = try EpochRecord.readHistory("\(run)/history.jsonl")
        XCTAssertEqual(history.map(\.epoch), [1, 2, 3], second.log)
        try assertStepsRecordedOnce(run, lastStep: CheckpointStore(runFolder: run, keep: 3).pointer("latest") ?? -1, contiguous: true, second.log)

        // Finished: the same command again exits 0 at once, touching nothing.
        let model = try FileManager.default.attributesOfItem(atPath: "\(run)/model.safetensors")[.modificationDate] as? Date
        let began = Date()
        let third = try expect(command, in: folder, status: 0, saying: "the run is already finished")
        XCTAssertLessThan(Date().timeIntervalSince(began), 10, "exits at once")
        XCTAssertFalse(third.log.contains("epoch 1/3"), "nothing trained:\n\(third.log)")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: "\(run)/model.safetensors")[.modificationDate] as? Date, model)

        // Another configuration on the folder: refused, naming the key.
        try expect(command + ["--epochs", "4"], in: folder, status: 2, saying: "epochs: recorded '3', given '4'")
        // resume: never refuses a folder holding a run.
        try expect(command + ["--resume-policy", "never"], in: folder, status: 2, saying: "resume is 'never'")
    }

    func testCoordinatorKilledAndStartedAgainWithTheSameCommandContinuesTheSameRun() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("self-resume-coordinator")
        // A slower model, so the workers are mid-run when the coordinator dies.
        _ = try jobConfig(folder, dense: 512, epochs: 4)
        let port = try freePort()
        // As Deploy/ starts it: a config without `out`, the worker count from the environment.
        let command = ["coordinator", "--config", "job.yaml", "--listen", "127.0.0.1:\(port)"]
        let environment = ["CIFAKE_WORKERS": "2"]
        let run = "\(folder)/runs/job"
        var coordinator = try LoggedProcess(cifake, command, home: folder, environment: environment, directory: folder)
        defer { coordinator.stop() }
        XCTAssertNotNil(coordinator.waitForOutput("listening on tcp://", seconds: 120), coordinator.log)
        var workers: [LoggedProcess] = []
        for i in 0..<2 {
            workers.append(try LoggedProcess(cifake, ["worker", "--coordinator", "127.0.0.1:\(port)", "--config", "job.yaml", "--name", "w\(i)",
                                                      "--cache", "\(folder)/cache"], home: folder, directory: folder))
        }
        defer { workers.forEach { $0.stop() } }
        XCTAssertNotNil(coordinator.waitForLog("epoch 2/4", seconds: 240), coordinator.log)
        coordinator.kill()
        let before = try XCTUnwrap(newestStep(run), coordinator.log)

        coordinator = try LoggedProcess(cifake, command, home: folder, environment: environment, directory: folder)
        XCTAssertNotNil(coordinator.waitForLog("resuming from", seconds: 60), coordinator.log)
        XCTAssertEqual(resumedStep(coordinator.log, "resuming from"), before, "no step recomputed beyond the last checkpoint:\n\(coordinator.log)")
        XCTAssertTrue(coordinator.waitForExit(seconds: 300), coordinator.log)
        XCTAssertEqual(coordinator.status, 0, coordinator.log)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(folder)/runs"), ["job"], "no new run folder")
        XCTAssertEqual(CheckpointStore(runFolder: run, keep: 3).pointer("latest"), 4 * 57, "the run reached its last step")
        XCTAssertEqual(try EpochRecord.readHistory("\(run)/history.jsonl").map(\.epoch), [1, 2, 3, 4], coordinator.log)
        try assertStepsRecordedOnce(run, lastStep: 4 * 57, contiguous: false, coordinator.log)
        for w in workers {
            XCTAssertTrue(w.waitForExit(seconds: 30), w.log)
            XCTAssertEqual(w.status, 0, w.log)
        }

        // Finished: the same command again exits 0 at once, without listening.
        let began = Date()
        let again = try expect(command, in: folder, status: 0, saying: "the run is already finished", environment: environment)
        XCTAssertLessThan(Date().timeIntervalSince(began), 10, "exits at once")
        XCTAssertFalse(again.output.contains("listening on"), again.output)
    }

    func testLocalClusterKilledWholeAndStartedAgainWithTheSameCommandContinues() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("self-resume-launch-kill")
        _ = try jobConfig(folder, dense: 256, epochs: 4)
        let command = ["train", "--config", "job.yaml", "--workers", "2", "--worker-threads", "1"]
        let run = "\(folder)/runs/job"
        let first = try LoggedProcess(cifake, command, home: folder, directory: folder)
        waitForCheckpoint(run, atLeast: 57, while: first)  // the end of epoch 1 (of 4, 57 steps each)
        XCTAssertTrue(first.isRunning, "the run ended before it could be killed:\n\(first.log)")
        killTree(first.pid)  // the launcher, the coordinator, the workers and the evaluator, by SIGKILL
        XCTAssertTrue(first.waitForExit(seconds: 10), first.log)
        usleep(300_000)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(run)/model.safetensors"), "killed before the end:\n\(first.log)")
        let before = try XCTUnwrap(newestStep(run), first.log)

        let second = try expect(command, in: folder, status: 0, saying: "continuing the run (resume: auto)", seconds: 300)
        XCTAssertEqual(resumedStep(second.log, "resuming from"), before, "no step recomputed beyond the last checkpoint:\n\(second.log)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(folder)/runs"), ["job"], "no new run folder")
        XCTAssertEqual(try EpochRecord.readHistory("\(run)/history.jsonl").map(\.epoch), [1, 2, 3, 4], second.log)
        try assertStepsRecordedOnce(run, lastStep: CheckpointStore(runFolder: run, keep: 3).pointer("latest") ?? -1, contiguous: false, second.log)
        try expect(command, in: folder, status: 0, saying: "the run is already finished")
    }

    func testLocalClusterStartedAgainOnAFinishedRunExitsZeroAtOnce() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("self-resume-launch")
        _ = try jobConfig(folder, epochs: 1)
        let command = ["train", "--config", "job.yaml", "--workers", "2", "--worker-threads", "1"]
        let first = try LoggedProcess(cifake, command, home: folder, directory: folder)
        XCTAssertTrue(first.waitForExit(seconds: 300), first.log)
        XCTAssertEqual(first.status, 0, first.log)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(folder)/runs/job/metrics.json"), first.log)
        let again = try expect(command, in: folder, status: 0, saying: "the run is already finished")
        XCTAssertFalse(again.log.contains("error"), again.log)
    }
}
