import Foundation
import XCTest

/// Runs the built `cifake` executable: real rank processes, real sockets. The ranks check the sums
/// themselves and exit non-zero on any difference, so the exit status is the assertion.
final class BenchAllReduceProcessTests: XCTestCase {
    private func cifakeExecutable() throws -> URL {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("cifake"),
            Bundle.main.bundleURL.appendingPathComponent("cifake"),
            packageRoot.appendingPathComponent(".build/debug/cifake"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("cifake is not built (looked at \(candidates.map(\.path))); run `swift build` first")
        }
        return found
    }

    private func runBench(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try cifakeExecutable()
        process.arguments = ["bench", "allreduce"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// A rank whose all-reduce times out with its 64 MiB of zero-copy frames still queued fails
    /// cleanly, naming the rank: it must not free the buffer libzmq is still sending from (that
    /// aborted inside libzmq with "Bad address" in every one of 8 runs before the fix).
    func testATimedOutRankFailsCleanlyWithoutFreeingWhatLibzmqStillSends() throws {
        for attempt in 1...4 {
            let process = Process()
            process.executableURL = try cifakeExecutable()
            process.arguments = ["bench", "allreduce", "--workers", "2", "--mib", "64", "--timeout-ms", "1"]
            // No crash reporter holding the pipes open if a rank does crash.
            process.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { _, new in new }
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .exit, "attempt \(attempt): \(text)")
            XCTAssertEqual(process.terminationStatus, 1, "attempt \(attempt): \(text)")
            XCTAssertTrue(text.contains("failed: ring all-reduce"), "attempt \(attempt): \(text)")
            XCTAssertFalse(text.contains("Bad address") || text.contains("Assertion failed") || text.contains("Fatal error"),
                           "attempt \(attempt): \(text)")
        }
    }

    func testTwoRankProcesses() throws {
        let (status, output) = try runBench(["--workers", "2", "--mib", "3", "--iters", "2", "--warmup", "1",
                                             "--chunk-kib", "256", "--timeout-ms", "20000"])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("busbw") && output.contains("ipc (Unix sockets)"), output)
    }

    func testThreeRankProcessesWithUnevenSegmentsOverTCP() throws {
        // 2.5 MiB = 655,360 elements: segments of 218,454 / 218,453 / 218,453, chunks of 100 KiB;
        // 3 back-to-back all-reduces per repetition, each checked bit for bit.
        let (status, output) = try runBench(["--workers", "3", "--mib", "2.5", "--iters", "2", "--warmup", "1", "--per-rep", "3",
                                             "--chunk-kib", "100", "--transport", "tcp", "--timeout-ms", "20000"])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("tcp (127.0.0.1)"), output)
    }
}
