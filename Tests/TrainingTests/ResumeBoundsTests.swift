import Checkpoints
import Dataset
import Foundation
import Storage
import TestSupport
import Training
import XCTest

/// `train --resume` with checkpoint bookkeeping from another machine or from an attacker: any
/// sane value resumes, an insane one is a clear error naming the checkpoint and the field.
final class ResumeBoundsTests: XCTestCase {
    /// A finished one-epoch run turned back into an interrupted two-epoch one: the final
    /// checkpoint and the model removed, so the newest left is a mid-epoch one.
    private func interruptedRun(_ name: String) throws -> (folder: String, checkpoint: String) {
        let (_, config) = try smallSyntheticRun(name) {
            $0.epochs = 1
            $0.checkpointEvery = 2
            $0.keepCheckpoints = 10
        }
        _ = try TrainingRun(config: config).run()
        let store = CheckpointStore(runFolder: config.out, keep: 10)
        let steps = store.steps()
        try FileManager.default.removeItem(atPath: "\(config.out)/model.safetensors")
        try FileManager.default.removeItem(atPath: store.path(step: steps.last!))
        try AtomicFile.write(Self.fileName(steps[steps.count - 2]) + "\n", to: "\(store.folder)/latest")
        let yaml = String(decoding: try AtomicFile.read("\(config.out)/config.yaml"), as: UTF8.self)
        try AtomicFile.write(yaml.replacingOccurrences(of: "epochs: 1\n", with: "epochs: 2\n"), to: "\(config.out)/config.yaml")
        return (config.out, store.path(step: steps[steps.count - 2]))
    }

    private static func fileName(_ step: Int) -> String { CheckpointStore.fileName(step: step) }

    /// Rewrites a checkpoint's bookkeeping value, checksums and all (as a real run would have).
    private func setProgress(_ key: String, _ value: String, in path: String) throws {
        var checkpoint = try Checkpoint.decode(AtomicFile.read(path), source: path)
        checkpoint.state.progress[key] = value
        try AtomicFile.write(checkpoint.encode(), to: path)
    }

    /// The seconds since this machine booted: what `DispatchTime.now()` counts from.
    private func uptime() throws -> Double {
        let text = try String(contentsOfFile: "/proc/uptime", encoding: .utf8)  // stat says 0 bytes: read to the end
        return try XCTUnwrap(text.split(separator: " ").first.flatMap { Double($0) })
    }

    /// An epoch interrupted after more seconds than this machine has been up (a long run resumed
    /// on a freshly booted machine) used to trap subtracting them from the monotonic clock.
    func testResumeAcceptsEpochSecondsBeyondTheUptime() throws {
        let (folder, checkpoint) = try interruptedRun("resume-long-epoch")
        let seconds = min(try uptime() + 100_000, 9e6)
        try setProgress("epoch_seconds", String(seconds), in: checkpoint)
        let outcome = try TrainingRun.resume(folder: folder, threads: 2)
        XCTAssertEqual(outcome.history.count, 2)
        XCTAssertGreaterThan(outcome.history[0].seconds, seconds, "the resumed epoch's clock continues from the checkpoint's")
    }

    func testResumeRefusesInsaneBookkeeping() throws {
        let (folder, checkpoint) = try interruptedRun("resume-insane")
        let original = try AtomicFile.read(checkpoint)
        for (key, value, expected) in [
            ("epoch_seconds", "nan", "expected a number in 0.0...10000000.0"),
            ("epoch_seconds", "-1", "expected a number in 0.0...10000000.0"),
            ("epoch_seconds", "1e30", "expected a number in 0.0...10000000.0"),
            ("epoch_seen", "9223372036854775807", "expected an integer in 0...1099511627776"),
            ("epoch_seen", "-3", "expected an integer in 0...1099511627776"),
            ("epoch_correct", "100000", "expected at most 'progress.epoch_seen'"),
            ("epochs_without_best", "9223372036854775807", "expected an integer in 0...1099511627776"),
        ] {
            try AtomicFile.write(original, to: checkpoint)
            try setProgress(key, value, in: checkpoint)
            XCTAssertThrowsError(try TrainingRun.resume(folder: folder, threads: 2), "\(key) = \(value)") { error in
                XCTAssertTrue("\(error)".contains("\(checkpoint): damaged checkpoint: metadata 'progress.\(key)' is '\(value)', \(expected)"), "\(error)")
            }
        }
        // A step past the run's end (a checkpoint of a longer run) is refused, not a trapped range.
        var long = try Checkpoint.decode(original, source: checkpoint)
        long.state.step = 1000
        long.state.adamStep = 1000
        try AtomicFile.write(long.encode(), to: checkpoint)
        XCTAssertThrowsError(try TrainingRun.resume(folder: folder, threads: 2)) { error in
            XCTAssertTrue("\(error)".contains("checkpoint is at step 1000, past this run's last step"), "\(error)")
        }
    }

    /// Early stopping decided at an epoch end, whose checkpoint was written, and the process died
    /// before the model was: the resumed run writes the model without training another epoch.
    func testARunThatStoppedEarlyResumesIntoNoFurtherEpoch() throws {
        let (_, config) = try smallSyntheticRun("resume-early-stopped") {
            $0.epochs = 8
            $0.validationFraction = 0.25
            $0.earlyStoppingPatience = 1
        }
        let first = try TrainingRun(config: config).run()
        XCTAssertLessThan(first.history.count, 8, "the generated set is learnt fast enough to stop early")
        try FileManager.default.removeItem(atPath: "\(config.out)/model.safetensors")
        let resumed = try TrainingRun.resume(folder: config.out, threads: 2)
        XCTAssertEqual(resumed.history, first.history, "no epoch trained again, none added")
        XCTAssertEqual(resumed.bestEpoch, first.bestEpoch)
        XCTAssertEqual(resumed.report.accuracy, first.report.accuracy)
    }
}
