import ClusterBench
import Coordination
import Dataset
import Foundation
import Model
import Training

/// One `bench cluster` measurement, start to end: the single process, the data, the keys and
/// configurations, the hosts, the cluster's processes, the timed steps, the figures. Everything
/// it makes is handed to the teardown as soon as it exists.
final class ClusterBenchRun {
    struct Plan {
        var workers: Int
        /// tc rate of every link, each way; nil: unshaped.
        var rate: String?
        var configPath: String?
        var baseConfig: String
        var architecture: Architecture
        var batchPerWorker: Int
        var threads: Int
        var window: StepWindow
        var compression: String?
        var data: String?
        var curve: Bool
        /// Seconds per window of `bench train` (5 windows, the median is taken).
        var singleSeconds: Double

        var globalBatch: Int { workers * batchPerWorker }
        var gradientBytes: Int { architecture.parameterCount * MemoryLayout<Float>.size }
        /// Steps after the window: the run's last step waits for rank 0's final checkpoint upload
        /// before it is reported, which must not be timed.
        static let tailSteps = 2
    }

    /// The cluster failed (a process exited, no progress): the work folder is kept for its logs.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let plan: Plan
    /// Work folder: data, keys, configurations, logs, the run folder and the step log.
    let folder: String
    private let executable: String
    private let hosts: SimulatedHosts
    private let teardown: Teardown
    private let ip: String
    private var stepLog: String { "\(folder)/steps.jsonl" }

    init(plan: Plan, ip: String, tc: String, teardown: Teardown) throws {
        self.plan = plan
        self.ip = ip
        self.teardown = teardown
        executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("cifake-bench-cluster-\(getpid())").path
        hosts = SimulatedHosts(layout: try HostLayout(owner: getpid(), hosts: plan.workers + 1), ip: ip, tc: tc, teardown: teardown)
        try teardown.guarded {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            teardown.adoptFolder(folder)
        }
    }

    func measure() throws -> ClusterBenchRecord {
        let stale = try SimulatedHosts.removeStale(ip: ip)
        if !stale.isEmpty { note("removed namespaces left by a benchmark that was killed: \(stale.joined(separator: ", "))") }
        let a = plan.architecture, n = plan.workers
        print("bench cluster: \(n) worker(s) and a coordinator, each in its own network namespace on one bridge; "
              + "every link \(plan.rate.map { "\($0) each way" } ?? "unshaped"); transport \(plan.curve ? "CURVE" : "plain")"
              + (plan.compression.map { "; gradient_compression: \($0)" } ?? ""))
        print(String(format: "model: %@, %d parameters (%.1f MB fp32 gradient); batch %d per worker (global %d), %d thread(s) per worker; %d warm-up + %d timed steps; config %@",
                     a.displayName, a.parameterCount, Double(plan.gradientBytes) / 1e6, plan.batchPerWorker, plan.globalBatch,
                     plan.threads, plan.window.warmup, plan.window.steps, plan.configPath ?? "built in"))

        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(Self.loadAverage()) (1, 5, 15 min) before")
        let single = try measureSingleProcess()
        print(String(format: "single process (cifake bench train, batch %d, %d thread(s)): %.0f images/s, CPU %.0f%% of a core",
                     plan.batchPerWorker, plan.threads, single.imagesPerSecond, 100 * single.cpuShare))
        let data = try prepareData()
        let configs = try writeConfigurations()
        let shaping = try hosts.build(rate: plan.rate)
        print(shaping == .unshaped ? "links: unshaped (veth, as fast as the CPU moves bytes)"
              : "links: \(shaping.description) on both ends of every link" + (shaping == .tokenBucket(rate: plan.rate ?? "") ? " (this kernel has no netem)" : ""))

        let coordinator = try startCoordinator(config: configs.coordinator, data: data)
        let workers = try (0..<n).map { try startWorker($0, config: configs.workers[$0]) }
        let (entries, start, end) = try watch(coordinator: coordinator, workers: workers)
        finish(coordinator: coordinator, workers: workers, endsByItself: plan.data == nil)

        let result = try ClusterBenchResult(entries: entries, window: plan.window, start: start, end: end,
                                            singleImagesPerSecond: single.imagesPerSecond, singleCPUShare: single.cpuShare, workers: n, gradientBytes: plan.gradientBytes)
        for line in result.lines { print(line) }
        print("ring: " + compressionUsed())
        print("machine: load average \(Self.loadAverage()) (1, 5, 15 min) after")
        return ClusterBenchRecord(workers: n, rate: plan.rate, shaping: shaping.description, transportSecurity: plan.curve ? "curve" : "plain",
                                  gradientCompression: plan.compression, model: a.displayName, parameters: a.parameterCount,
                                  batchPerWorker: plan.batchPerWorker, threadsPerWorker: plan.threads, warmupSteps: plan.window.warmup,
                                  result: result)
    }

    // MARK: Before the cluster

    /// `cifake bench train` with the workers' model, batch and threads, alone on this machine:
    /// its images/s, and the share of a core it got (its CPU time over its wall time).
    private func measureSingleProcess() throws -> (imagesPerSecond: Double, cpuShare: Double) {
        note("measuring the single process (cifake bench train)...")
        let (cpuBefore, began) = (CPUClock.waitedChildrenSeconds(), Date())
        let output = try Tool.check(executable, ["bench", "train", "--model", plan.architecture.modelName,
                                                 "--dense", "\(plan.architecture.hiddenWidth)", "--batch", "\(plan.batchPerWorker)",
                                                 "--threads", "\(plan.threads)", "--seconds", "\(plan.singleSeconds)"], teardown: teardown)
        let share = (CPUClock.waitedChildrenSeconds() - cpuBefore) / Date().timeIntervalSince(began)
        return (try SingleProcessRate.parse(benchTrainOutput: output), share)
    }

    /// The coordinator's data: `--data`, else a synthetic set of exactly the steps the run makes.
    private func prepareData() throws -> String {
        if let data = plan.data { return data }
        let steps = plan.window.total + Plan.tailSteps
        let perClass = (steps * plan.globalBatch + 1) / 2
        let path = "\(folder)/data"
        let began = Date()
        try SyntheticCIFAKE.write(to: path, trainPerClass: perClass, testPerClass: 16, seed: 0)
        note(String(format: "data: synthetic, %d training images per class (one epoch of %d steps), written in %.1f s",
                    perClass, steps, Date().timeIntervalSince(began)))
        return path
    }

    /// The coordinator's and each worker's configuration: the base with the benchmark's settings,
    /// and with CURVE, keys made by `cifake keygen` (the coordinator admits the workers' public keys).
    private func writeConfigurations() throws -> (coordinator: String, workers: [String]) {
        // With --data the run is stopped after the window; enough epochs that it never ends first.
        let epochs = plan.data == nil ? 1 : plan.window.total + Plan.tailSteps
        var common: [(key: String, value: String)] = [
            ("batch_size", "\(plan.globalBatch)"), ("epochs", "\(epochs)"), ("threads", "\(plan.threads)"),
            ("validation_fraction", "0"), ("early_stopping_patience", "0"), ("checkpoint_every", "0"), ("keep_checkpoints", "1"),
            ("status_port", "0"), ("transport_security", plan.curve ? "curve" : "plain"),
        ]
        if let compression = plan.compression { common.append(("gradient_compression", compression)) }
        // Every role's key settings are written, empty where the role has none, so that none
        // comes from the base configuration.
        let keySettings = ["coordinator_secret_key", "coordinator_public_key", "worker_secret_key", "worker_public_key", "authorized_keys"]
        func write(_ name: String, keys: [String: String]) throws -> String {
            let path = "\(folder)/\(name).yaml"
            let overrides = common + keySettings.map { (key: $0, value: keys[$0] ?? "") }
            try DerivedConfig.yaml(base: plan.baseConfig, overrides: overrides).write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let workerNames = (0..<plan.workers).map { "worker-\($0)" }
        guard plan.curve else { return (try write("coordinator", keys: [:]), try workerNames.map { try write($0, keys: [:]) }) }
        let keyFolder = "\(folder)/keys", authorized = "\(folder)/authorized"
        try FileManager.default.createDirectory(atPath: authorized, withIntermediateDirectories: true)
        for name in ["coordinator"] + workerNames {
            try Tool.check(executable, ["keygen", "--out", keyFolder, "--name", name], teardown: teardown)
        }
        for name in workerNames { try FileManager.default.copyItem(atPath: "\(keyFolder)/\(name).key", toPath: "\(authorized)/\(name).key") }
        let coordinator = try write("coordinator", keys: ["coordinator_secret_key": "\(keyFolder)/coordinator.key_secret",
                                                          "coordinator_public_key": "\(keyFolder)/coordinator.key", "authorized_keys": authorized])
        let workers = try workerNames.map { name in
            try write(name, keys: ["worker_secret_key": "\(keyFolder)/\(name).key_secret", "worker_public_key": "\(keyFolder)/\(name).key",
                                   "coordinator_public_key": "\(keyFolder)/coordinator.key"])
        }
        return (coordinator, workers)
    }

    // MARK: The cluster

    /// Starts `cifake ARGUMENTS` on host `i`, output to `NAME.out` and `NAME.log` in the folder.
    private func start(onHost i: Int, _ arguments: [String], name: String) throws -> Process {
        let home = "\(folder)/home-\(name)"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = hosts.exec(onHost: i) + [executable] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["HOME": home]) { $1 }
        process.standardOutput = try logFile("\(name).out")
        process.standardError = try logFile("\(name).log")
        try teardown.guarded {
            try process.run()
            teardown.adopt(process)
        }
        return process
    }

    private func startCoordinator(config: String, data: String) throws -> Process {
        let address = "\(hosts.layout.address(ofHost: 0)):5555"
        let process = try start(onHost: 0, ["coordinator", "--config", config, "--listen", address, "--data", data,
                                            "--min-workers", "\(plan.workers)", "--max-workers", "\(plan.workers)",
                                            "--out", "\(folder)/run", "--step-log", stepLog, "--cache", "\(folder)/cache-coordinator"], name: "coordinator")
        note("coordinator on \(address): loading the data...")
        let deadline = Date().addingTimeInterval(600)
        while !((try? String(contentsOfFile: "\(folder)/coordinator.out", encoding: .utf8))?.contains("coordinator listening on") ?? false) {
            guard process.isRunning else { throw fail("the coordinator exited (status \(process.terminationStatus)) before listening:\n\(tail("coordinator"))") }
            guard Date() < deadline else { throw fail("the coordinator did not listen within 600 s:\n\(tail("coordinator"))") }
            usleep(50_000)
        }
        return process
    }

    private func startWorker(_ i: Int, config: String) throws -> Process {
        try start(onHost: i + 1, ["worker", "--coordinator", "\(hosts.layout.address(ofHost: 0)):5555", "--config", config,
                                  "--threads", "\(plan.threads)", "--rank", "\(i)", "--cache", "\(folder)/cache-\(i)"], name: "worker-\(i)")
    }

    /// Follows the step log until the window's last step; reads the link counters and the
    /// workers' CPU times when the last warm-up step and the last timed step are logged.
    private func watch(coordinator: Process, workers: [Process]) throws -> ([StepLogEntry], CounterSample, CounterSample) {
        var log = StepLogTail(), entries: [StepLogEntry] = [], newest = -1
        var reader: FileHandle?
        var start: CounterSample?
        var lastProgress = Date()
        let window = plan.window
        note("waiting for \(plan.workers) worker(s) to join and fetch the data...")
        while true {
            if reader == nil { reader = FileHandle(forReadingAtPath: stepLog) }
            if let reader {
                let fresh = try log.feed(reader.availableData)
                entries += fresh
                if let last = fresh.map(\.step).max() {
                    if newest < 0 { note("training: first step logged") }
                    newest = max(newest, last)
                    lastProgress = Date()
                }
            }
            if start == nil, newest >= window.reference {
                start = try sample(at: newest, workers: workers)
                note("warm-up done (step \(newest)); timing steps \(window.first)-\(window.last)...")
            }
            if let start, newest >= window.last {
                return (entries, start, try sample(at: newest, workers: workers))
            }
            guard coordinator.isRunning else {
                throw fail("the coordinator exited (status \(coordinator.terminationStatus)) at step \(newest), before step \(window.last):\n\(tail("coordinator"))")
            }
            if let i = workers.firstIndex(where: { !$0.isRunning }) {
                throw fail("worker \(i) exited (status \(workers[i].terminationStatus)) at step \(newest):\n\(tail("worker-\(i)"))")
            }
            guard Date().timeIntervalSince(lastProgress) < 300 else {
                throw fail("no step completed in 300 s (newest: \(newest)):\n\(tail("coordinator"))")
            }
            usleep(10_000)
        }
    }

    private func sample(at step: Int, workers: [Process]) throws -> CounterSample {
        let time = Date().timeIntervalSince1970
        let counters = try hosts.counters()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        // `ip netns exec` execs the program: each process is the worker itself.
        let cpu = try workers.map { w in
            try CounterSample.cpuSeconds(procStat: String(contentsOfFile: "/proc/\(w.processIdentifier)/stat", encoding: .utf8), ticksPerSecond: ticks)
        }
        return CounterSample(step: step, time: time, workers: Array(counters.dropFirst()), coordinator: counters[0], workerCPUSeconds: cpu)
    }

    /// A synthetic run ends by itself right after the window; a run on --data is stopped by the teardown.
    private func finish(coordinator: Process, workers: [Process], endsByItself: Bool) {
        guard endsByItself else {
            note("timed steps done; the cluster is stopped (the --data run would go on)")
            return
        }
        let deadline = Date().addingTimeInterval(120)
        while (coordinator.isRunning || workers.contains(where: \.isRunning)) && Date() < deadline { usleep(50_000) }
        if coordinator.isRunning {
            note("warning: the run did not end within 120 s of the timed steps; stopping it")
        } else if coordinator.terminationStatus != 0 {
            note("warning: the coordinator exited with status \(coordinator.terminationStatus) after the timed steps:\n\(tail("coordinator"))")
        } else {
            note("the run ended cleanly")
        }
    }

    /// The error for a failure of the cluster, unless an interruption's teardown caused it.
    private func fail(_ description: String) -> Error {
        teardown.hasBegun ? Teardown.Interrupted() : Failure(description: description + "\n(every log is kept in \(folder))")
    }

    private func logFile(_ name: String) throws -> FileHandle {
        let path = "\(folder)/\(name)"
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw fail("cannot create \(path)") }
        return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    /// What rank 0 said its ring used (`gradient_compression ...`, with auto's reasons).
    private func compressionUsed() -> String {
        let text = (try? String(contentsOfFile: "\(folder)/worker-0.log", encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").last(where: { $0.contains("gradient_compression") }) else { return "gradient_compression: not reported" }
        // The message, without the log line's time, level and labels.
        return line.range(of: "gradient_compression").map { String(line[$0.lowerBound...]) } ?? String(line)
    }

    /// The last lines of a process's log.
    private func tail(_ name: String, lines: Int = 15) -> String {
        let text = (try? String(contentsOfFile: "\(folder)/\(name).log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).map { "  [\(name)] \($0)" }.joined(separator: "\n")
    }

    private static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "? ? ?"
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// Progress on standard error, after what standard output holds so far.
    private func note(_ text: String) {
        fflush(nil)  // every stream: standard output first
        log.info("\(text)")
    }
}
