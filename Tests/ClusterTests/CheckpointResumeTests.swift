import Checkpoints
import Foundation
import Model
import Storage
import TestSupport
import Training
import XCTest

/// Checkpoints, exact resume after a crash (SIGKILL), the evaluator and early stopping, with real
/// processes. The smoke configuration: 3 epochs of 57 steps on the generated set.
final class CheckpointResumeTests: XCTestCase {
    private func smokeConfig(_ folder: String, extra: String = "") throws -> String {
        let path = "\(folder)/run.yaml"
        try """
            model: cnn2d
            dense: 32
            epochs: 3
            batch_size: 32
            augment_flip: true
            augment_shift: 2
            validation_fraction: 0.1
            seed: 5
            threads: 1
            checkpoint_every: 10
            keep_checkpoints: 3
            \(extra)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts `arguments`, waits for `file` to appear, then SIGKILLs the process and its children.
    private func crash(_ cifake: String, _ arguments: [String], when file: String, home: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cifake)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["HOME": home]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(240)
        while !FileManager.default.fileExists(atPath: file) && Date() < deadline && process.isRunning { usleep(20_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: file), "\(file) appeared before the crash")
        killTree(process.processIdentifier)
        process.waitUntilExit()
        usleep(300_000)
    }

    /// Every tensor (weights and both moments) of two checkpoint files, compared bit for bit.
    /// The same kept model: the same tensors, bit for bit, and the same metadata but for the
    /// provenance (each process records its own command line and times).
    private func assertSameModel(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try SafeTensors.decode(AtomicFile.read(a), source: a), y = try SafeTensors.decode(AtomicFile.read(b), source: b)
        XCTAssertTrue(x.tensors == y.tensors, "\(a) and \(b) hold different weights", file: file, line: line)
        XCTAssertNotNil(x.metadata["provenance"], file: file, line: line)
        XCTAssertEqual(x.metadata.filter { $0.key != "provenance" }, y.metadata.filter { $0.key != "provenance" }, file: file, line: line)
    }

    private func assertSameState(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try AtomicFile.read(a), y = try AtomicFile.read(b)
        func payload(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
            var n = 0
            for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
            return bytes[(8 + n)...]
        }
        XCTAssertEqual(payload(x).count, payload(y).count, file: file, line: line)
        XCTAssertTrue(payload(x) == payload(y), "\(a) and \(b) hold different weights or moments", file: file, line: line)
    }

    func testSingleProcessResumesBitForBitAfterSIGKILLAndSkipsADamagedCheckpoint() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("resume-solo")
        let config = try smokeConfig(folder)
        let whole = try runProcess(cifake, ["train", "--config", config, "--out", "\(folder)/whole"])
        XCTAssertEqual(whole.status, 0, whole.stderr)

        try crash(cifake, ["train", "--config", config, "--out", "\(folder)/broken"],
                  when: "\(folder)/broken/checkpoints/step-00000080.safetensors", home: folder)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(folder)/broken/model.safetensors"), "killed before the end")
        // Damage the newest checkpoint: the resume must report it and use the one before.
        let latest = String(decoding: try AtomicFile.read("\(folder)/broken/checkpoints/latest"), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let path = "\(folder)/broken/checkpoints/\(latest)"
        let bytes = try AtomicFile.read(path)
        try Data(bytes[0..<(bytes.count - 1000)]).write(to: URL(fileURLWithPath: path))

        let resumed = try runProcess(cifake, ["train", "--resume", "\(folder)/broken"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("\(latest): damaged checkpoint"), resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("using the previous intact checkpoint"), resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resumed from"), resumed.stderr)
        try assertSameState("\(folder)/whole/checkpoints/step-00000171.safetensors", "\(folder)/broken/checkpoints/step-00000171.safetensors")
        try assertSameModel("\(folder)/whole/model.safetensors", "\(folder)/broken/model.safetensors")
        // A finished run is not resumed again.
        let again = try runProcess(cifake, ["train", "--resume", "\(folder)/broken"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("the run is complete"), again.stderr)
    }

    /// SIGTERM mid-run: the step in flight finishes, a final checkpoint of it is written, the
    /// process exits 75, no completed step is lost, and `--resume` ends bit for bit where an
    /// undisturbed run ends.
    func testSIGTERMWritesAFinalCheckpointAndTheResumedRunEqualsAnUndisturbedOne() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("stop-solo")
        let config = try smokeConfig(folder)
        let whole = try runProcess(cifake, ["train", "--config", config, "--out", "\(folder)/whole"])
        XCTAssertEqual(whole.status, 0, whole.stderr)

        let run = "\(folder)/stopped"
        let stopped = try LoggedProcess(cifake, ["train", "--config", config, "--out", run], home: folder)
        defer { stopped.kill() }
        let before = "\(run)/checkpoints/step-00000020.safetensors"
        let deadline = Date().addingTimeInterval(240)
        while !FileManager.default.fileExists(atPath: before) && Date() < deadline && stopped.isRunning { usleep(5_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: before), stopped.log)
        kill(stopped.pid, SIGTERM)
        XCTAssertTrue(stopped.waitForExit(seconds: 60), "exits within the grace period: \(stopped.log)")
        XCTAssertEqual(stopped.status, 75, stopped.log)
        XCTAssertTrue(stopped.log.contains("SIGTERM: finishing the step in flight"), stopped.log)

        // The final checkpoint holds every step completed: at least the 20 done before the signal.
        let line = try XCTUnwrap(stopped.log.split(separator: "\n").first { $0.contains(": stopped by SIGTERM after step ") }, stopped.log)
        let step = try XCTUnwrap(Int(line.components(separatedBy: "stopped by SIGTERM after step ").last!.prefix { $0.isNumber }))
        XCTAssertGreaterThanOrEqual(step, 20)
        XCTAssertLessThan(step, 171, "stopped before the end")
        let final = String(format: "step-%08d.safetensors", step)
        XCTAssertTrue(line.contains("final checkpoint \(run)/checkpoints/\(final); continue with: cifake train --resume \(run)"), String(line))
        XCTAssertEqual(String(decoding: try AtomicFile.read("\(run)/checkpoints/latest"), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines), final)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(run)/model.safetensors"))

        let resumed = try runProcess(cifake, ["train", "--resume", run])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resumed from \(run)/checkpoints/\(final): step \(step) "), resumed.stderr)
        try assertSameState("\(folder)/whole/checkpoints/step-00000171.safetensors", "\(run)/checkpoints/step-00000171.safetensors")
        try assertSameModel("\(folder)/whole/model.safetensors", "\(run)/model.safetensors")
    }

    /// A 2-worker cluster killed whole (coordinator, workers, evaluator) and resumed with
    /// `train --resume --workers 2` ends with the same weights and moments as an uninterrupted one.
    func testClusterResumesBitForBitAndTheEvaluatorScoresCheckpoints() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("resume-cluster")
        let config = try smokeConfig(folder)
        let cluster = ["--workers", "2", "--worker-threads", "1"]
        let whole = try runProcess(cifake, ["train", "--config", config, "--out", "\(folder)/whole"] + cluster, environment: ["HOME": folder])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertTrue(whole.stderr.contains("(all ranks agree)"), whole.stderr)

        // The evaluator scored consolidated checkpoints on the test split, beside training.
        let evaluations = String(decoding: try AtomicFile.read("\(folder)/whole/evaluations.jsonl"), as: UTF8.self)
            .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let byEvaluator = evaluations.filter { $0["source"] as? String == "evaluator" }
        XCTAssertFalse(byEvaluator.isEmpty, "the evaluator reported")
        for e in byEvaluator {
            XCTAssertNotNil(e["test_accuracy"] as? Double)
            XCTAssertNotNil(e["val_accuracy"] as? Double)
            XCTAssertEqual((e["step"] as? Int).map { $0 % 10 == 0 || $0 % 57 == 0 }, true, "a checkpoint step: \(e)")
        }
        XCTAssertGreaterThan(byEvaluator.compactMap { $0["test_accuracy"] as? Double }.max() ?? 0, 0.9)
        let best = String(decoding: try AtomicFile.read("\(folder)/whole/checkpoints/best"), as: UTF8.self)
        XCTAssertTrue(best.hasPrefix("step-"), best)
        // The report names the checkpoint the coordinator kept: its epoch, or its step inside one.
        let run = try RunFolder.load("\(folder)/whole")
        let kept = try XCTUnwrap(run.keptStep)
        XCTAssertEqual(Int(best.dropFirst(5).prefix { $0.isNumber }), kept, "the kept model is the best checkpoint")
        if kept % 57 == 0 {
            XCTAssertEqual(run.keptEpoch, kept / 57)
        } else {
            XCTAssertNil(run.keptEpoch)
            XCTAssertEqual(run.keptCheckpoint?.hasPrefix("step \(kept) "), true)
        }

        try killResumeAndCompare(cifake, config: config, folder: folder, cluster: cluster)
        let history = String(decoding: try AtomicFile.read("\(folder)/broken/history.jsonl"), as: UTF8.self)
        XCTAssertEqual(history.split(separator: "\n").count, 3, history)
    }

    /// Runs `config` as a cluster into `folder`/broken, kills every process once the checkpoint of
    /// step 57 (the end of epoch 1) exists, resumes it, and checks the final state equals
    /// `folder`/whole's, bit for bit. An epoch end, because a cluster may skip a mid-epoch offer
    /// while an upload is under way.
    private func killResumeAndCompare(_ cifake: String, config: String, folder: String, cluster: [String]) throws {
        try crash(cifake, ["train", "--config", config, "--out", "\(folder)/broken"] + cluster,
                  when: "\(folder)/broken/checkpoints/step-00000057.safetensors", home: folder)
        let resumed = try runProcess(cifake, ["train", "--resume", "\(folder)/broken"] + cluster, environment: ["HOME": folder])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("loaded the checkpoint of step"), resumed.stderr)
        try assertSameState("\(folder)/whole/checkpoints/step-00000171.safetensors", "\(folder)/broken/checkpoints/step-00000171.safetensors")
    }

    /// SIGTERM to `train --workers 2` (what Kubernetes, Slurm and systemd send): the coordinator
    /// has the ranks finish a step or two, consolidates that state into a checkpoint, and every
    /// process exits 75; no completed step is lost, and `--resume` ends bit for bit where an
    /// undisturbed run does.
    func testSIGTERMStopsTheClusterAfterAFinalCheckpointAndResumeIsBitExact() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("sigterm-cluster")
        let config = try smokeConfig(folder)
        let cluster = ["--workers", "2", "--worker-threads", "1"]
        let whole = try runProcess(cifake, ["train", "--config", config, "--out", "\(folder)/whole"] + cluster, environment: ["HOME": folder])
        XCTAssertEqual(whole.status, 0, whole.stderr)

        let run = "\(folder)/stopped"
        let launcher = try LoggedProcess(cifake, ["train", "--config", config, "--out", run] + cluster, home: folder)
        defer { launcher.stop() }
        // The end of epoch 1 (57 of 171 steps): a cluster consolidates every epoch end, but may
        // skip a mid-epoch offer while an upload is under way, so a named mid-epoch file may
        // never appear (on an idle machine the whole run takes 3 s).
        let deadline = Date().addingTimeInterval(240)
        var seen = 0
        while seen < 57 && Date() < deadline && launcher.isRunning {
            seen = CheckpointStore(runFolder: run, keep: 3).pointer("latest") ?? 0
            usleep(20_000)
        }
        XCTAssertTrue(launcher.isRunning, "the run ended before the signal:\n\(launcher.log)")
        kill(launcher.pid, SIGTERM)
        XCTAssertTrue(launcher.waitForExit(seconds: 60), "stopped within the grace period:\n\(launcher.log)")
        XCTAssertEqual(launcher.status, 75, launcher.log)
        let line = try XCTUnwrap(launcher.log.split(separator: "\n").first { $0.contains("stopped by SIGTERM after step ") }, launcher.log)
        let step = try XCTUnwrap(Int(line.components(separatedBy: "stopped by SIGTERM after step ").last!.prefix { $0.isNumber }), String(line))
        XCTAssertGreaterThanOrEqual(step, seen, "every step completed before the signal is in the final checkpoint")
        XCTAssertLessThan(step, 171, "stopped before the end")
        let final = String(format: "step-%08d.safetensors", step)
        XCTAssertEqual(String(decoding: try AtomicFile.read("\(run)/checkpoints/latest"), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines), final, launcher.log)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(run)/model.safetensors"), "the run is not over")
        XCTAssertEqual(launcher.log.components(separatedBy: "worker: stopped by SIGTERM after step \(step)").count - 1, 2,
                       "both workers were told and exited 75:\n\(launcher.log)")

        let resumed = try runProcess(cifake, ["train", "--resume", run] + cluster, environment: ["HOME": folder])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("loaded the checkpoint of step \(step)"), resumed.stderr)
        try assertSameState("\(folder)/whole/checkpoints/step-00000171.safetensors", "\(run)/checkpoints/step-00000171.safetensors")
    }

    /// bf16 on the wire keeps no state between steps, so a killed bf16 cluster resumes to the
    /// very weights and moments of an uninterrupted bf16 run.
    func testBF16ClusterResumesBitForBit() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("resume-bf16")
        let config = try smokeConfig(folder, extra: "gradient_compression: bf16")
        let cluster = ["--workers", "2", "--worker-threads", "1"]
        let whole = try runProcess(cifake, ["train", "--config", config, "--out", "\(folder)/whole"] + cluster, environment: ["HOME": folder])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertTrue(whole.stderr.contains("gradient_compression bf16"), whole.stderr)
        try killResumeAndCompare(cifake, config: config, folder: folder, cluster: cluster)
    }

    /// With patience 1, the first evaluation without a better validation loss ends the run early;
    /// every rank stops at the same step and every process exits cleanly.
    func testClusterStopsEarlyAfterPatienceEvaluationsWithoutImprovement() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("early-stop")
        // Validation accuracy reaches 1.0 on the generated set, so a second epoch can't beat it.
        let config = try smokeConfig(folder, extra: "epochs: 6\nearly_stopping_patience: 1\ncheckpoint_every: 0\nbest_metric: val_accuracy")
            .replacingOccurrences(of: "epochs: 3", with: "")
        var text = try String(contentsOfFile: config, encoding: .utf8)
        text = text.replacingOccurrences(of: "epochs: 3\n", with: "").replacingOccurrences(of: "checkpoint_every: 10\n", with: "")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let run = try runProcess(cifake, ["train", "--config", config, "--out", "\(folder)/run", "--workers", "2", "--worker-threads", "1"],
                                 environment: ["HOME": folder])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("early stopping"), run.stderr)
        let finished = run.stderr.components(separatedBy: "finished after step ").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
        XCTAssertNotNil(finished, run.stderr)
        XCTAssertLessThan(finished ?? .max, 6 * 57 - 1, "stopped before the configured end")
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/run/metrics.json"))) as! [String: Any]
        XCTAssertNotNil(metrics["kept_step"] as? Int)

        // One worker and one process: early stopping counts the same epochs, keeps the same
        // epoch, and its model holds the same weights, bit for bit.
        let single = try runProcess(cifake, ["train", "--config", config, "--out", "\(folder)/single"], environment: ["HOME": folder])
        XCTAssertEqual(single.status, 0, single.stderr)
        let one = try runProcess(cifake, ["train", "--config", config, "--out", "\(folder)/one", "--workers", "1", "--worker-threads", "1"],
                                 environment: ["HOME": folder])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(single.stderr.contains("early stopping") && one.stderr.contains("early stopping"), single.stderr + one.stderr)
        let keptSingle = try RunFolder.load("\(folder)/single").keptEpoch, keptOne = try RunFolder.load("\(folder)/one").keptEpoch
        XCTAssertNotNil(keptSingle)
        XCTAssertEqual(keptOne, keptSingle, "the same kept epoch")
        try assertSameState("\(folder)/single/model.safetensors", "\(folder)/one/model.safetensors")
    }
}
