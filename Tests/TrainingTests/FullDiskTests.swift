import Checkpoints
import Foundation
import Storage
import TestSupport
import XCTest

/// A run folder on a disk that fills up mid-run (a 3 MiB tmpfs): the run fails with an error
/// that names the file and the cause, and everything written before stays intact and readable.
final class FullDiskTests: XCTestCase {
    func testAFullDiskStopsTheRunWithAClearErrorAndKeepsWhatWasWritten() throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a tmpfs needs root") }
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("full-disk")
        let mountPoint = "\(folder)/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint])
        guard mounted.status == 0 else { throw XCTSkip("cannot mount a tmpfs here: \(mounted.stderr)") }
        defer { _ = try? runProcess("/bin/umount", [mountPoint]) }

        let synth = try runProcess(cifake, ["data", "synth", "--out", "\(folder)/data"])
        XCTAssertEqual(synth.status, 0, synth.stderr)
        // D=32 checkpoints are 1.1 MB: the third no longer fits beside the first two.
        let run = try runProcess(cifake, ["train", "--config", Paths.packageRoot.appendingPathComponent("Config/smoke.yaml").path,
                                          "--data", "\(folder)/data", "--out", "\(mountPoint)/run", "--epochs", "6"])
        XCTAssertNotEqual(run.status, 0, "the run cannot finish on a full disk")
        XCTAssertTrue(run.stderr.contains("No space left on device"), run.stderr)
        XCTAssertTrue(run.stderr.contains("\(mountPoint)/run/"), "the error names the file: \(run.stderr)")

        // What was written before is whole: the configuration, the history, and the newest
        // checkpoint the pointer names (no temporary file was left under a real name).
        let store = CheckpointStore(runFolder: "\(mountPoint)/run", keep: 3)
        let latest = try XCTUnwrap(store.pointer("latest"), "a checkpoint was written before the disk filled")
        XCTAssertNoThrow(try Checkpoint.decode(AtomicFile.read(store.path(step: latest)), source: "latest"))
        for step in store.steps() {
            XCTAssertNoThrow(try Checkpoint.decode(AtomicFile.read(store.path(step: step)), source: "step \(step)"), "every checkpoint file decodes")
        }
        let history = String(decoding: try AtomicFile.read("\(mountPoint)/run/history.jsonl"), as: UTF8.self)
        // One line per finished epoch: the epoch whose checkpoint did not fit may have its line
        // (written just before); a resume cuts the history back to the checkpoint.
        XCTAssertTrue((latest / 57)...(latest / 57 + 1) ~= history.split(separator: "\n").count, "history:\n\(history)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(mountPoint)/run/config.yaml"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "\(mountPoint)/run/checkpoints").filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [], "a failed write removes its temporary file")
    }
}
