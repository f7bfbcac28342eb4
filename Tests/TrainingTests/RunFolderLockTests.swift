import Foundation
import TestSupport
import XCTest

/// A run folder belongs to the run that holds its lock: a second `train` or `coordinator` on it
/// exits at once (status 4) naming the holder, and the first goes on untouched. Real processes.
final class RunFolderLockTests: XCTestCase {
    private func config(_ folder: String) throws -> String {
        let path = "\(folder)/long.yaml"
        try "model: cnn2d\ndense: 32\nepochs: 1000\nbatch_size: 32\nthreads: 1\ncheckpoint_every: 10\ntransport_security: plain\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs `arguments` to the end and checks it was refused at once, naming `holder`'s pid.
    private func assertRefused(_ cifake: String, _ arguments: [String], folder run: String, holder: pid_t,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let began = Date()
        let refused = try runProcess(cifake, arguments)
        XCTAssertEqual(refused.status, 4, refused.stderr, file: file, line: line)
        XCTAssertLessThan(Date().timeIntervalSince(began), 30, "exits at once", file: file, line: line)
        XCTAssertTrue(refused.stderr.contains("\(run) is in use by another run (pid \(holder) on "), refused.stderr, file: file, line: line)
        XCTAssertTrue(refused.stderr.contains(" since 20"), "names the holder's start time: \(refused.stderr)", file: file, line: line)
        XCTAssertTrue(refused.stderr.contains("lock file \(run)/lock"), refused.stderr, file: file, line: line)
    }

    func testASecondTrainOnTheFolderExitsAtOnceNamingTheHolderAndTheFirstGoesOn() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("folder-lock")
        let run = "\(folder)/run"
        let first = try LoggedProcess(cifake, ["train", "--config", try config(folder), "--out", run], home: folder)
        defer { first.kill() }
        XCTAssertNotNil(first.waitForLog("model: ", seconds: 240), "the first run started training: \(first.log)")
        let recorded = try Data(contentsOf: URL(fileURLWithPath: "\(run)/config.yaml"))

        try assertRefused(cifake, ["train", "--out", run, "--epochs", "1"], folder: run, holder: first.pid)
        try assertRefused(cifake, ["train", "--resume", run], folder: run, holder: first.pid)
        XCTAssertTrue(first.isRunning, "the first run is untouched")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(run)/config.yaml")), recorded, "its config.yaml was not rewritten")

        // SIGINT (Ctrl-C) stops it as SIGTERM does: a checkpoint, then status 75.
        kill(first.pid, SIGINT)
        XCTAssertTrue(first.waitForExit(seconds: 120), first.log)
        XCTAssertEqual(first.status, 75, first.log)
        XCTAssertTrue(first.log.contains("stopped by SIGINT after step "), first.log)
    }

    func testTheCoordinatorHoldsItsRunFolder() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("coordinator-lock")
        let run = "\(folder)/run"
        let coordinator = try LoggedProcess(cifake, ["coordinator", "--config", try config(folder), "--out", run, "--listen", "127.0.0.1:0",
                                                     "--min-workers", "1"], home: folder)
        defer { coordinator.kill() }
        XCTAssertNotNil(coordinator.waitForOutput("coordinator listening on", seconds: 240), coordinator.log)

        try assertRefused(cifake, ["train", "--out", run, "--epochs", "1"], folder: run, holder: coordinator.pid)
        try assertRefused(cifake, ["coordinator", "--config", try config(folder), "--out", run, "--listen", "127.0.0.1:0"],
                          folder: run, holder: coordinator.pid)
        XCTAssertTrue(coordinator.isRunning, "the first coordinator is untouched")
    }
}
