import Foundation
import XCTest

/// Where the package, ../shared and the built executable are.
public enum Paths {
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

    /// The `cifake` executable built beside the test bundle.
    public static func cifake() throws -> String {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("cifake").path,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cifake").path,
            packageRoot.appendingPathComponent(".build/release/cifake").path,
            packageRoot.appendingPathComponent(".build/debug/cifake").path,
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("the cifake executable is not built (run `swift build --build-tests` first); looked in \(candidates)")
        }
        return found
    }

    public static func temporaryFolder(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "cifake-test-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a real process to completion, capturing its output.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Drain both pipes while the process runs so a full pipe never blocks it.
    nonisolated(unsafe) var errData = Data()
    let reader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !reader.isFinished { usleep(1000) }
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// The process and all its descendants (children first found through /proc), for tests that
/// crash a whole process tree with SIGKILL.
public func processTree(_ root: pid_t) -> [pid_t] {
    var parents: [pid_t: [pid_t]] = [:]
    for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        // Fields after "(comm)": state, ppid, ...
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if fields.count > 1, let ppid = pid_t(fields[1]) { parents[ppid, default: []].append(pid) }
    }
    var tree = [root], index = 0
    while index < tree.count {
        tree += parents[tree[index]] ?? []
        index += 1
    }
    return tree
}

/// SIGKILLs a process and every descendant at once (a machine losing power, as far as they know).
public func killTree(_ root: pid_t) {
    for pid in processTree(root) { kill(pid, SIGSTOP) }
    for pid in processTree(root) { kill(pid, SIGKILL) }
}

/// What a test does when something it needs is missing: skips, or, under CI (`CIFAKE_CI=1`, set
/// by `.ci/run`, which installs these things itself), fails, so a broken install cannot turn a
/// test into a silent skip.
public struct MissingRequirement: Error, CustomStringConvertible {
    public let description: String

    /// Throw the result: an `XCTSkip` outside CI, a failing error under it.
    public static func unavailable(_ what: String) -> Error {
        ProcessInfo.processInfo.environment["CIFAKE_CI"] == "1"
            ? MissingRequirement(description: "\(what) (CI installs it: this is a failure, not a skip)")
            : XCTSkip(what)
    }
}
