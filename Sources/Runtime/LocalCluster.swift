import Dispatch
import Foundation
import Signals
import Training

/// `cifake train --workers N`: a coordinator and N workers as real processes on loopback (like
/// torchrun's standalone mode). Their output is streamed with a role prefix; Ctrl-C, or any
/// process failing, stops them all.
public struct LocalCluster {
    public var config: TrainingConfig
    public var workers: Int
    public var threadsPerWorker: Int
    /// Continue this run folder from its newest intact checkpoint instead of starting anew.
    public var resumeFolder: String?
    /// Also start an evaluation worker (the last `evaluatorThreads` compute threads are its).
    public var evaluator = true
    /// This program's own path (so `ps` shows `cifake worker ...`).
    public var executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "/proc/self/exe"

    public init(config: TrainingConfig, workers: Int, threadsPerWorker: Int) {
        self.config = config
        self.workers = workers
        self.threadsPerWorker = threadsPerWorker
    }

    /// Runs the cluster to completion; returns the exit status for the launcher.
    public func run() throws -> Int32 {
        let configPath = NSTemporaryDirectory() + "cifake-launch-\(getpid()).yaml"
        // One key pair more than workers: the evaluator's. (A run folder records no keys, so a
        // resumed launch makes new ones unless its settings name some.)
        let security = try LaunchSecurity.prepare(config, workers: workers + 1, evaluators: 1)
        defer { if let folder = security.keyFolder { try? FileManager.default.removeItem(atPath: folder) } }
        writeStandardError("[launcher] \(security.note)\n")
        try ConfigFile.yaml(security.coordinator).write(toFile: configPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: configPath) }
        let workerConfigPaths = (0...workers).map { NSTemporaryDirectory() + "cifake-launch-\(getpid())-worker-\($0).yaml" }
        for (path, settings) in zip(workerConfigPaths, security.workers) {
            try ConfigFile.yaml(settings).write(toFile: path, atomically: true, encoding: .utf8)
        }
        defer { for path in workerConfigPaths { try? FileManager.default.removeItem(atPath: path) } }

        let group = ProcessGroup()
        let endpoint = EndpointBox()
        // Resuming, the run's own config.yaml rules; --config then only carries this launch's keys.
        let source = (resumeFolder.map { ["--resume", $0] } ?? []) + ["--config", configPath]
        let coordinator = try group.start(executable, ["coordinator"] + source + ["--listen", "127.0.0.1:0",
                                                       "--min-workers", "\(workers)", "--max-workers", "\(workers)"],
                                          prefix: "[coordinator] ") { line in
            if let range = line.range(of: "coordinator listening on ") { endpoint.set(String(line[range.upperBound...])) }
        }
        // SIGTERM or SIGINT: the coordinator stops the run gracefully (its ranks finish a step,
        // the state is consolidated into a checkpoint, every process exits 75); the launcher
        // waits for that, and past the grace period stops everything at once.
        let stopping = StopState()
        var signalSources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [grace = config.stopGraceSeconds] in
                guard stopping.begin() else {
                    writeStandardError("\n[launcher] \(StopSignal.name(number)) again: stopping every process now\n")
                    group.terminateAll()
                    exit(128 + number)
                }
                writeStandardError("\n[launcher] \(StopSignal.name(number)): the coordinator stops the run after a final checkpoint (grace period \(Int(grace)) s)\n")
                if coordinator.isRunning { kill(coordinator.processIdentifier, SIGTERM) }
                DispatchQueue.global().asyncAfter(deadline: .now() + grace + 5) {
                    writeStandardError("[launcher] the grace period is over: stopping every process now\n")
                    group.terminateAll()
                    exit(128 + number)
                }
            }
            source.resume()
            signalSources.append(source)
        }
        defer { signalSources.forEach { $0.cancel() } }

        guard let address = endpoint.wait(seconds: 600, while: { coordinator.isRunning }) else {
            group.terminateAll()
            writeStandardError("[launcher] the coordinator exited before listening (status \(coordinator.isRunning ? -1 : coordinator.terminationStatus))\n")
            return 1
        }
        var workerProcesses: [Process] = []
        for i in 0..<workers {
            workerProcesses.append(try group.start(executable, ["worker", "--coordinator", address, "--config", workerConfigPaths[i],
                                                                "--threads", "\(threadsPerWorker)"],
                                                   prefix: "[worker \(i)] ", onLine: { _ in }))
        }
        if evaluator {
            // The evaluator is not waited for: the run's result never depends on it.
            _ = try group.start(executable, ["evaluator", "--coordinator", address, "--config", workerConfigPaths[workers], "--threads", "1"],
                                prefix: "[evaluator] ", onLine: { _ in })
        }
        // Watch: the coordinator ends the run; a worker dying first fails it.
        while coordinator.isRunning {
            if !stopping.isStopping, let failed = workerProcesses.firstIndex(where: { !$0.isRunning && $0.terminationStatus != 0 }) {
                writeStandardError("[launcher] worker \(failed) failed (status \(workerProcesses[failed].terminationStatus)): stopping the cluster\n")
                group.terminateAll()
                return 1
            }
            usleep(100_000)
        }
        let deadline = Date().addingTimeInterval(30)
        while workerProcesses.contains(where: \.isRunning) && Date() < deadline { usleep(100_000) }
        group.terminateAll()
        group.drain()
        if coordinator.terminationStatus == StopSignal.gracefulExitStatus { return StopSignal.gracefulExitStatus }
        return coordinator.terminationStatus == 0 && workerProcesses.allSatisfy({ $0.terminationStatus == 0 }) ? 0 : 1
    }
}

/// Whether a stop signal has come (set once, from the signal queue).
private final class StopState: @unchecked Sendable {
    private let lock = NSLock()
    private var stopping = false

    var isStopping: Bool { lock.withLock { stopping } }

    /// True the first time.
    func begin() -> Bool { lock.withLock { defer { stopping = true }; return !stopping } }
}

/// The endpoint line, handed from the coordinator's output reader to the launcher.
private final class EndpointBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?

    func set(_ endpoint: String) { lock.withLock { value = endpoint } }

    func wait(seconds: Double, while alive: () -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && alive() {
            if let v = lock.withLock({ value }) { return v.replacingOccurrences(of: "tcp://", with: "") }
            usleep(20_000)
        }
        return lock.withLock { value }?.replacingOccurrences(of: "tcp://", with: "")
    }
}

/// Child processes whose output lines are relayed with a prefix.
final class ProcessGroup: @unchecked Sendable {
    private let lock = NSLock()
    private var processes: [Process] = []
    private var readers: [Thread] = []

    func start(_ executable: String, _ arguments: [String], prefix: String, onLine: @escaping @Sendable (String) -> Void) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = Self.childEnvironment(ProcessInfo.processInfo.environment)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let threads = [out, err].map { pipe in
            Thread {
                var pending = Data()
                let handle = pipe.fileHandleForReading
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    pending.append(chunk)
                    while let newline = pending.firstIndex(where: { $0 == 10 || $0 == 13 }) {
                        let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                        pending.removeSubrange(pending.startIndex...newline)
                        guard !line.isEmpty else { continue }
                        onLine(line)
                        writeStandardError(prefix + line.replacingOccurrences(of: "\u{1B}[2K", with: "") + "\n")
                    }
                }
            }
        }
        threads.forEach { $0.start() }
        lock.withLock {
            processes.append(process)
            readers += threads
        }
        return process
    }

    /// The launcher already applied the configuration's variables (and its flags over them) to
    /// the file it hands its children; a scheduler's rank means nothing to them.
    static func childEnvironment(_ environment: [String: String]) -> [String: String] {
        let consumed = Set(TrainingConfig.keys.map(ConfigLayers.environmentVariable) + SchedulerEnvironment.rankVariables)
        return environment.filter { !consumed.contains($0.key) }
    }

    func terminateAll() {
        for p in lock.withLock({ processes }) where p.isRunning { p.terminate() }
    }

    /// Waits briefly for the output readers to pass on the last lines.
    func drain() {
        let deadline = Date().addingTimeInterval(2)
        while lock.withLock({ readers.contains { !$0.isFinished } }) && Date() < deadline { usleep(10_000) }
    }
}
