import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process whose standard output and error are collected while it runs.
public final class LoggedProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var out = ""
    private var err = ""

    /// Starts `executable` with `arguments`, HOME set to `home`, and any `environment` added;
    /// in `directory` when given (else this process's working directory).
    public init(_ executable: String, _ arguments: [String], home: String, environment: [String: String] = [:], directory: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment.merging(["HOME": home]) { $1 }) { $1 }
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        outPipe.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self, !d.isEmpty else { return }
            self.lock.withLock { self.out += String(decoding: d, as: UTF8.self) }
        }
        errPipe.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self, !d.isEmpty else { return }
            self.lock.withLock { self.err += String(decoding: d, as: UTF8.self) }
        }
        try process.run()
    }

    /// Standard error so far (the log).
    public var log: String { lock.withLock { err } }
    /// Standard output so far.
    public var output: String { lock.withLock { out } }
    public var isRunning: Bool { process.isRunning }
    public var status: Int32 { process.isRunning ? -1 : process.terminationStatus }

    /// The first output line containing `text`, waiting up to `seconds`.
    public func waitForOutput(_ text: String, seconds: Double) -> String? {
        wait(seconds) { lock.withLock { out }.split(separator: "\n").first { $0.contains(text) }.map(String.init) }
    }

    public func waitForLog(_ text: String, seconds: Double) -> String? {
        wait(seconds) { log.split(separator: "\n").first { $0.contains(text) }.map(String.init) }
    }

    public func waitForExit(seconds: Double) -> Bool {
        wait(seconds) { process.isRunning ? nil : true } ?? false
    }

    private func wait<T>(_ seconds: Double, _ found: () -> T?) -> T? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let value = found() { return value }
            usleep(50_000)
        }
        return found()
    }

    public var pid: pid_t { process.processIdentifier }

    /// SIGKILL, and wait for the end.
    public func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    public func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        usleep(100_000) // the last output
    }
}
