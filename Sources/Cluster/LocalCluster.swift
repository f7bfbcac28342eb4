import Coordination
import Dispatch
import Foundation
import Logging
import Logs
import Signals
import Training

/// `cifake train --workers N`: a coordinator, N workers and an evaluator as real processes on
/// loopback (like torchrun's standalone mode). Their log lines are relayed as they are: each
/// already names its role, rank and generation (a worker without a rank yet, its node name
/// `local-PID-wI`); a line that is not a log line (a crash) is relayed as the launcher's, naming
/// the child by rank where known. A child that dies is restarted under the same name and rejoins (see
/// ``LaunchSupervisor``); the coordinator decides the run, and its exit status is the launcher's.
/// Ctrl-C stops them all.
public struct LocalCluster {
    public var config: TrainingConfig
    public var workers: Int
    public var threadsPerWorker: Int
    /// Fewest workers the run goes on with once restarts are used up (the coordinator's
    /// `--min-workers`; also how many it waits for before the first step).
    public var minWorkers: Int
    /// Restarts of failed workers, all together (and as many again for the evaluator).
    public var maxRestarts = 3
    /// Continue this run folder from its newest intact checkpoint instead of starting anew.
    public var resumeFolder: String?
    /// A model file the workers start from (the coordinator's `--initial-weights`: a warm start).
    public var initialWeights: String?
    /// Also start an evaluation worker (the last `evaluatorThreads` compute threads are its).
    public var evaluator = true
    /// Where the processes serve HTTP status (`/healthz`, `/readyz`, `/status`, `/metrics`), as
    /// torchrun hands out ports from a base: `HOST:PORT` puts the coordinator on PORT, worker
    /// `i` (its start slot, which keeps its port across restarts) on PORT+1+i and the evaluator
    /// on PORT+1+workers; port 0 gives each process a free port of its own (each prints `status
    /// on http://...`). nil: `$CIFAKE_STATUS_LISTEN`, else `0.0.0.0:status_port` when that is set,
    /// else no status server.
    public var statusListen: String?
    /// This program's own path (so `ps` shows `cifake worker ...`).
    public var executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "/proc/self/exe"

    /// Compute threads per worker when not given: this machine's cores shared out, at least 1.
    public static func defaultThreadsPerWorker(workers: Int) -> Int {
        max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, workers))
    }

    public init(config: TrainingConfig, workers: Int, threadsPerWorker: Int) {
        self.config = config
        self.workers = workers
        self.threadsPerWorker = threadsPerWorker
        minWorkers = workers
    }

    /// The status addresses of the coordinator, each worker slot and the evaluator, from `base`
    /// (see ``statusListen``); nil when `base` is not `HOST:PORT` or the last port passes 65535.
    public static func statusAddresses(base: String, workers: Int) -> (coordinator: String, workers: [String], evaluator: String)? {
        guard let colon = base.lastIndex(of: ":"), let port = Int(base[base.index(after: colon)...]), (0...65535).contains(port),
              port == 0 || port + 1 + workers <= 65535 else { return nil }
        let host = base[..<colon]
        func address(_ offset: Int) -> String { "\(host):\(port == 0 ? 0 : port + offset)" }
        return (address(0), (0..<workers).map { address(1 + $0) }, address(1 + workers))
    }

    /// Runs the cluster to completion; returns the exit status for the launcher.
    public func run() throws -> Int32 {
        ProcessLabels.shared.update { $0.role = "launcher" }
        let log = ProcessLog.logger()
        let statusBase = statusListen ?? ProcessInfo.processInfo.environment["CIFAKE_STATUS_LISTEN"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (config.statusPort > 0 ? "0.0.0.0:\(config.statusPort)" : nil)
        let status = try statusBase.map { base in
            guard let addresses = Self.statusAddresses(base: base, workers: workers) else {
                throw LocalClusterError.badStatusAddress(base, workers: workers)
            }
            return addresses
        }
        func statusFlag(_ address: String?) -> [String] { address.map { ["--status-listen", $0] } ?? [] }
        let configPath = NSTemporaryDirectory() + "cifake-launch-\(getpid()).yaml"
        // One key pair more than workers: the evaluator's. (A run folder records no keys, so a
        // resumed launch makes new ones unless its settings name some.)
        let security = try LaunchSecurity.prepare(config, workers: workers + 1, evaluators: 1)
        defer { if let folder = security.keyFolder { try? FileManager.default.removeItem(atPath: folder) } }
        log.info("\(security.note)")
        try ConfigFile.yaml(security.coordinator).write(toFile: configPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: configPath) }
        let workerConfigPaths = (0...workers).map { NSTemporaryDirectory() + "cifake-launch-\(getpid())-worker-\($0).yaml" }
        for (path, settings) in zip(workerConfigPaths, security.workers) {
            try ConfigFile.yaml(settings).write(toFile: path, atomically: true, encoding: .utf8)
        }
        defer { for path in workerConfigPaths { try? FileManager.default.removeItem(atPath: path) } }

        let group = ProcessGroup(log: log)
        let endpoint = EndpointBox()
        // Resuming, the run's own config.yaml rules; --config then only carries this launch's keys.
        let source = (resumeFolder.map { ["--resume", $0] } ?? []) + (initialWeights.map { ["--initial-weights", $0] } ?? [])
            + ["--config", configPath]
        let coordinator = try group.start(executable, ["coordinator"] + source + ["--listen", "127.0.0.1:0",
                                                       "--min-workers", "\(minWorkers)", "--max-workers", "\(workers)"]
                                                       + statusFlag(status?.coordinator),
                                          label: { "coordinator" }) { line in
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
                    log.warning("\(StopSignal.name(number)) again: stopping every process now")
                    group.terminateAll()
                    exit(128 + number)
                }
                log.notice("\(StopSignal.name(number)): the coordinator stops the run after a final checkpoint (grace period \(Int(grace)) s)")
                if coordinator.isRunning { kill(coordinator.processIdentifier, SIGTERM) }
                DispatchQueue.global().asyncAfter(deadline: .now() + grace + 5) {
                    log.warning("the grace period is over: stopping every process now")
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
            // Status 0 before listening: the run folder holds a finished run (the coordinator said so).
            if !coordinator.isRunning && Self.exitStatus(coordinator) == 0 { group.drain(); return 0 }
            log.error("the coordinator exited before listening (status \(coordinator.isRunning ? -1 : coordinator.terminationStatus))")
            return coordinator.isRunning ? 1 : Self.exitStatus(coordinator)
        }
        // Stable names: a restarted child replaces its earlier self as a newer incarnation.
        let names = (0..<workers).map { "local-\(getpid())-w\($0)" }
        let ranks = RankMap()
        func startWorker(_ i: Int) throws -> Process {
            let process = try group.start(executable, ["worker", "--coordinator", address, "--config", workerConfigPaths[i],
                                                       "--threads", "\(threadsPerWorker)", "--name", names[i]] + statusFlag(status?.workers[i]),
                                          label: { ranks.label(worker: i) }) { line in
                if let mapping = ranks.record(worker: i, line: line) { log.info("\(mapping)") }
            }
            log.info("worker \(i) started (pid \(process.processIdentifier)) as \(names[i])")
            return process
        }
        func startEvaluator() throws -> Process {
            let name = "local-\(getpid())-evaluator"
            let process = try group.start(executable, ["evaluator", "--coordinator", address, "--config", workerConfigPaths[workers],
                                                       "--threads", "1", "--name", name] + statusFlag(status?.evaluator),
                                          label: { "evaluator" }, onLine: { _ in })
            log.info("evaluator started (pid \(process.processIdentifier)) as \(name)")
            return process
        }
        var running: [LaunchSupervisor.Child: Process] = [:]
        for i in 0..<workers { running[.worker(i)] = try startWorker(i) }
        if evaluator { running[.evaluator] = try startEvaluator() }
        var supervisor = LaunchSupervisor(workers: workers, minWorkers: minWorkers, maxRestarts: maxRestarts)
        // Watch: the coordinator ends the run; a child that dies meanwhile is restarted or let go.
        // An exit is acted on after a settling second, so children that end because the
        // coordinator stopped the run are not restarted into a finished run.
        var exitedAt: [LaunchSupervisor.Child: Date] = [:]
        while coordinator.isRunning {
            for (child, process) in running where !process.isRunning {
                let seen = exitedAt[child] ?? Date()
                exitedAt[child] = seen
                guard Date().timeIntervalSince(seen) >= 1 else { continue }
                exitedAt[child] = nil
                running[child] = nil
                // Stopping on a signal, children exit (75) because the run is being stopped.
                guard !stopping.isStopping else { continue }
                for directive in supervisor.onExit(child, Self.childExit(process), coordinatorRunning: coordinator.isRunning) {
                    switch directive {
                    case .log(let text): log.warning("\(text)")
                    case .restart(let restarted):
                        do {
                            if case .worker(let i) = restarted { running[restarted] = try startWorker(i) }
                            if restarted == .evaluator { running[restarted] = try startEvaluator() }
                        } catch {
                            log.error("could not start \(restarted) again: \(error)")
                        }
                    }
                }
            }
            usleep(100_000)
        }
        let deadline = Date().addingTimeInterval(30)
        while running.values.contains(where: \.isRunning) && Date() < deadline { usleep(100_000) }
        group.terminateAll()
        group.drain()
        return Self.exitStatus(coordinator)
    }

    /// A child's end as the supervisor sees it.
    static func childExit(_ process: Process) -> LaunchSupervisor.Exit {
        process.terminationReason == .uncaughtSignal ? .signal(process.terminationStatus) : .status(process.terminationStatus)
    }

    /// The coordinator's exit status as a shell reports it (128 + the signal's number if killed).
    static func exitStatus(_ process: Process) -> Int32 {
        process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }
}

/// Which worker holds which rank: filled from the workers' "rank R of W (generation G)" lines,
/// and told once per generation when every rank of it is known.
private final class RankMap: @unchecked Sendable {
    private let lock = NSLock()
    private var generations: [UInt64: [Int: Int]] = [:]  // generation -> worker -> rank

    /// `worker rank=R` once worker `worker` has a rank (its newest), else `worker I` (its start slot).
    func label(worker: Int) -> String {
        lock.withLock {
            guard let newest = generations.keys.sorted().last(where: { generations[$0]?[worker] != nil }),
                  let rank = generations[newest]?[worker] else { return "worker \(worker)" }
            return "worker rank=\(rank)"
        }
    }

    /// The mapping line once `line` completes its generation's, else nil.
    func record(worker: Int, line: String) -> String? {
        let words = line.split(separator: " ")
        guard let at = words.firstIndex(of: "rank"), words.count > at + 5, words[at + 2] == "of",
              let rank = Int(words[at + 1]), let size = Int(words[at + 3]), words[at + 4] == "(generation",
              let generation = UInt64(words[at + 5].prefix { $0.isNumber }) else { return nil }
        return lock.withLock {
            generations[generation, default: [:]][worker] = rank
            generations = generations.filter { $0.key + 8 > generation }  // bounded
            guard let known = generations[generation], known.count == size else { return nil }
            let pairs = known.sorted { $0.value < $1.value }.map { "rank \($0.value) = worker \($0.key)" }
            return "generation \(generation): " + pairs.joined(separator: ", ")
        }
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

/// Child processes whose output lines are relayed: log lines as they are, other lines as the
/// launcher's own, naming the child (`label`, asked at each line: a worker's rank changes).
final class ProcessGroup: @unchecked Sendable {
    private let lock = NSLock()
    private var processes: [Process] = []
    private var readers: [Thread] = []
    private let log: Logger

    init(log: Logger) { self.log = log }

    func start(_ executable: String, _ arguments: [String], label: @escaping @Sendable () -> String,
               onLine: @escaping @Sendable (String) -> Void) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = Self.childEnvironment(ProcessInfo.processInfo.environment)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let threads = [out, err].map { [log] pipe in
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
                        let text = line.replacingOccurrences(of: "\u{1B}[2K", with: "")
                        if LogLine.isFormatted(text) {
                            writeStandardError(text + "\n")
                        } else {
                            let (level, message) = LogLine.level(of: text)
                            log.log(level: level, "\(label()): \(message)")
                        }
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
        // CIFAKE_STATUS_LISTEN names one process's address: each child gets its own flag instead.
        let consumed = Set(TrainingConfig.keys.map(ConfigLayers.environmentVariable) + SchedulerEnvironment.rankVariables + ["CIFAKE_STATUS_LISTEN"])
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

/// Why a local cluster cannot start.
public enum LocalClusterError: Error, CustomStringConvertible {
    case badStatusAddress(String, workers: Int)

    public var description: String {
        switch self {
        case .badStatusAddress(let base, let workers):
            "status address '\(base)': expected HOST:PORT with PORT 0 (any free port for each process) or PORT + \(workers + 1) at most 65535 "
                + "(the coordinator takes PORT, worker i PORT+1+i, the evaluator PORT+\(workers + 1))"
        }
    }
}
