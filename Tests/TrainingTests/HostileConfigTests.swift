import Dataset
import Foundation
import Storage
import TestSupport
@testable import Training
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Settings from outside (YAML files, CIFAKE_* variables, flags): bounded in size, nesting and
/// alias expansion before they are interpreted, and every number checked against a range.
final class HostileConfigTests: XCTestCase {
    /// A "billion laughs": each level aliases the one before ten times.
    private func aliasBomb(levels: Int, key: String = "dense") -> String {
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for level in 1..<levels {
            lines.append("a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        lines.append("\(key): *a\(levels - 1)")
        return lines.joined(separator: "\n") + "\n"
    }

    private func assertRefusedQuickly(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        let began = Date()
        XCTAssertThrowsError(try ConfigFile.parse(text, source: "bomb.yaml"), file: file, line: line) { error in
            XCTAssertTrue("\(error)".hasPrefix("bomb.yaml: "), "\(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(expected), "\(error)", file: file, line: line)
        }
        XCTAssertLessThan(Date().timeIntervalSince(began), 2, "refused fast", file: file, line: line)
    }

    func testAliasBombsDeepNestingAndHugeFilesAreRefusedFast() throws {
        // 9 levels: 10^9 scalars once expanded, from a few hundred bytes.
        let bomb = aliasBomb(levels: 9)
        XCTAssertLessThan(bomb.utf8.count, 700)
        assertRefusedQuickly(bomb, "expands to more than \(ConfigFile.maximumNodes) nodes")
        assertRefusedQuickly(aliasBomb(levels: 30, key: "data"), "expands to more than")
        assertRefusedQuickly("dense: " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + "\n",
                             "20000 opening brackets, expected at most \(ConfigFile.maximumBrackets)")
        assertRefusedQuickly("dense: " + String(repeating: "{a: ", count: 200) + "1" + String(repeating: "}", count: 200) + "\n",
                             "nests more than \(ConfigFile.maximumDepth) deep")
        assertRefusedQuickly("# " + String(repeating: "x", count: ConfigFile.maximumBytes) + "\ndense: 32\n",
                             "expected at most \(ConfigFile.maximumBytes)")
        // A wrong-typed value is named without being printed whole.
        XCTAssertThrowsError(try ConfigFile.parse("dense: [1, 2]\n", source: "c.yaml")) { error in
            XCTAssertTrue("\(error)".contains("dense: found a sequence, which is not a valid integer"), "\(error)")
        }
        // A real configuration still reads.
        let smoke = try String(contentsOf: Paths.packageRoot.appendingPathComponent("Config/smoke.yaml"), encoding: .utf8)
        XCTAssertNoThrow(try ConfigFile.parse(smoke, source: "smoke.yaml"))
    }

    func testConfigurationFilesMustBeSmallRegularFiles() throws {
        let folder = Paths.temporaryFolder("config-files")
        let big = "\(folder)/big.yaml"
        try AtomicFile.write("# " + String(repeating: "x", count: 70_000) + "\n", to: big)
        XCTAssertThrowsError(try ConfigLayers.resolve(file: big, environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("\(big): \(big): read failed: the file is 70003 bytes, expected at most 65536"), "\(error)")
        }
        let fifo = "\(folder)/fifo.yaml"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // A FIFO would block a reader forever: refused at once (a regression fails by the timeout).
        let outcome = try withinSeconds(20, unblock: { let fd = open(fifo, O_WRONLY | O_NONBLOCK); if fd >= 0 { close(fd) } }) {
            do { _ = try ConfigFile.load(fifo); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(outcome.contains("expected a regular file, found a FIFO"), outcome)
    }

    func testEveryNumberFromEveryLayerHasARange() throws {
        let cases: [(String, String, String)] = [
            ("dense", "1000000", "dense: found 1000000, expected 1...65536"),
            ("dense", "0", "dense: found 0, expected 1...65536"),
            ("epochs", "1000000000", "epochs: found 1000000000, expected 1...100000"),
            ("batch_size", "0", "batch_size: found 0, expected 1...8192"),
            ("threads", "100000", "threads: found 100000, expected 1...256"),
            ("learning_rate", "-1", "learning_rate: found -1.0, expected a value in (0, 1)"),
            ("learning_rate", "nan", "found 'nan', expected a number (for learning_rate)"),
            ("validation_fraction", "nan", "found 'nan', expected a number (for validation_fraction)"),
            ("validation_fraction", "0.95", "validation_fraction: found 0.95, expected 0 <= fraction < 0.9"),
            ("early_stopping_patience", "-1", "early_stopping_patience: found -1"),
            ("checkpoint_every", "-5", "checkpoint_every: found -5"),
            ("keep_checkpoints", "1000000000", "keep_checkpoints: found 1000000000, expected 1...10000"),
            ("compression_rank", "0", "compression_rank: found 0, expected 1...256"),
        ]
        for (key, value, expected) in cases {
            let variable = ConfigLayers.environmentVariable(for: key)
            XCTAssertThrowsError(try ConfigLayers.resolve(file: nil, environment: [variable: value]), variable) { error in
                XCTAssertTrue("\(error)".contains(expected) && "\(error)".contains(variable), "\(error)")
            }
            let flag = ConfigOverride(key: key, text: value, origin: "--\(key)")
            XCTAssertThrowsError(try ConfigLayers.resolve(file: nil, environment: [:], flags: [flag]), flag.origin) { error in
                XCTAssertTrue("\(error)".contains(expected) && "\(error)".contains("--\(key)"), "\(error)")
            }
        }
        // In a file, .nan is a number of the right type: refused by its range.
        XCTAssertThrowsError(try ConfigFile.parse("validation_fraction: .nan\n", source: "c.yaml")) { error in
            XCTAssertTrue("\(error)".contains("validation_fraction: found nan, expected 0 <= fraction < 0.9"), "\(error)")
        }
        XCTAssertThrowsError(try SchedulerEnvironment(["CIFAKE_WORKERS": "100000"])) { error in
            XCTAssertTrue("\(error)".contains("CIFAKE_WORKERS: found '100000', expected a worker count in 1...1024"), "\(error)")
        }
    }

    /// The commands refuse out-of-range flags with the range named, before allocating anything.
    func testCommandsRefuseOutOfRangeFlags() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("hostile-flags")
        for (arguments, expected) in [
            (["train", "--dense", "1000000", "--out", "\(folder)/dense"], "dense: found 1000000, expected 1...65536 (paper: 32, 64, 128, 4096) (set by --dense)"),
            (["train", "--workers", "100000", "--out", "\(folder)/workers"], "--workers must be in 1...1024, found 100000"),
            (["coordinator", "--min-workers", "0", "--out", "\(folder)/c"], "--min-workers: found 0, expected 1...1024"),
            (["coordinator", "--min-workers", "5000", "--out", "\(folder)/c"], "--min-workers: found 5000, expected 1...1024"),
            (["coordinator", "--heartbeat-timeout", "0", "--out", "\(folder)/c"], "--heartbeat-timeout: found 0.0, expected seconds in (0, 86400]"),
            (["coordinator", "--heartbeat-timeout", "nan", "--out", "\(folder)/c"], "--heartbeat-timeout: found nan"),
            (["coordinator", "--min-workers", "3", "--max-workers", "2", "--out", "\(folder)/c"], "--max-workers: found 2, expected 3 (--min-workers)...1024"),
            (["coordinator", "--wait-timeout=-1", "--out", "\(folder)/c"], "--wait-timeout: found -1.0"),
        ] {
            let result = try runProcess(cifake, arguments, environment: ["HOME": folder, "CIFAKE_TRANSPORT_SECURITY": "plain"])
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
    }

    /// A validation hold-out that leaves no training image: a clear error, not a division by zero.
    func testAHoldOutThatLeavesNoTrainingImagesIsRefused() throws {
        let folder = Paths.temporaryFolder("no-train")
        try SyntheticCIFAKE.write(to: "\(folder)/data", trainPerClass: 1, testPerClass: 1, seed: 0)
        var config = TrainingConfig()
        config.data = "\(folder)/data"
        config.out = "\(folder)/run"
        config.validationFraction = 0.8
        XCTAssertThrowsError(try TrainingRun(config: config).run()) { error in
            XCTAssertTrue("\(error)".contains("no training images left after the validation hold-out (validation_fraction 0.8 of 2 images)"), "\(error)")
        }
    }
}

