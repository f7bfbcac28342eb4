import ArgumentParser
import Foundation
import Runtime
import Training

/// `cifake coordinator`: the control process of a training cluster.
struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run the coordinator of a training cluster: rendezvous, progress, consolidated results.",
        discussion: """
            Workers join with `cifake worker --coordinator HOST:PORT`. The coordinator serves them the \
            configuration and, to workers without a copy, the packed data; gradients move worker to \
            worker on a ring. It prints "coordinator listening on tcp://HOST:PORT" once bound.
            """)

    @Option(name: .long, help: "YAML configuration file.")
    var config: String?

    @Option(name: .long, help: "HOST:PORT to listen on (port 0: any free port).")
    var listen = "0.0.0.0:5555"

    @Option(name: .long, help: "Data folder or packed file (overrides the configuration).")
    var data: String?

    @Option(name: .long, help: "Run folder (overrides the configuration).")
    var out: String?

    @Option(name: .customLong("min-workers"), help: "Workers needed to start.")
    var minWorkers = 2

    @Option(name: .customLong("max-workers"), help: "Most workers admitted.")
    var maxWorkers: Int?

    @Option(name: .customLong("heartbeat-timeout"), help: "Seconds without a heartbeat before a worker is declared dead.")
    var heartbeatTimeout = 10.0

    @Option(name: .long, help: ArgumentHelp("Continue this run folder from its newest intact checkpoint (its config.yaml is used).", valueName: "RUN_DIR"))
    var resume: String?

    func run() throws {
        var settings = TrainingConfig()
        do {
            if let resume {
                guard config == nil, out == nil else { throw ValidationError("--resume uses the run folder's own config.yaml; drop --config and --out") }
                settings = try TrainingRun.recordedConfig(folder: resume)
            }
            if let config { settings = try ConfigFile.load(config) }
            if let data { settings.data = data }
            if let out { settings.out = out }
            settings = try settings.validated()
            var options = CoordinatorServer.Options()
            options.listen = listen
            options.minWorkers = minWorkers
            options.maxWorkers = max(maxWorkers ?? minWorkers, minWorkers)
            options.heartbeatTimeout = heartbeatTimeout
            options.resume = resume != nil
            let progress = ProgressReporter()
            progress.plainInterval = 1
            try CoordinatorServer(config: settings, options: options, progress: progress).run()
        } catch {
            throw CLIError.message("coordinator: \(error)", code: 1)
        }
    }
}

/// `cifake worker`: one data-parallel training process.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Join a training cluster as a worker.",
        discussion: "The coordinator's address may also come from the environment variable CIFAKE_COORDINATOR.")

    @Option(name: .long, help: "HOST:PORT of the coordinator (default: $CIFAKE_COORDINATOR).")
    var coordinator: String?

    @Option(name: .long, help: "Own configuration file (checked against the coordinator's); default: the coordinator's.")
    var config: String?

    @Option(name: .long, help: "Local copy of the data (used if its digest matches; otherwise the coordinator's is fetched).")
    var data: String?

    @Option(name: .long, help: "Compute threads of this worker.")
    var threads = 1

    @Option(name: .long, help: "Folder caching data received from coordinators.")
    var cache: String?

    @Option(name: .long, help: "Address the other workers reach this one on (default: the local address facing the coordinator).")
    var advertise: String?

    func run() throws {
        guard let address = coordinator ?? ProcessInfo.processInfo.environment["CIFAKE_COORDINATOR"] else {
            throw ValidationError("give --coordinator HOST:PORT or set CIFAKE_COORDINATOR")
        }
        var options = WorkerNode.Options(coordinator: address)
        options.configPath = config
        options.dataPath = data
        options.threads = threads
        if let cache { options.cacheFolder = cache }
        options.advertiseHost = advertise
        do {
            try WorkerNode(options: options, log: { writeStandardError("\($0)\n") }).run()
        } catch {
            throw CLIError.message("worker: \(error)", code: 1)
        }
    }
}

/// `cifake evaluator`: scores each consolidated checkpoint beside training.
struct EvaluatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluator",
        abstract: "Join a training cluster as its evaluation worker.",
        discussion: """
            The coordinator offers every consolidated checkpoint; the evaluator fetches the newest \
            (skipping any it had no time for), scores it on the validation hold-out and the test \
            split, and reports the metrics, which the coordinator records in evaluations.jsonl and \
            uses to keep the best checkpoint and to stop early. The coordinator's address may also \
            come from CIFAKE_COORDINATOR.
            """)

    @Option(name: .long, help: "HOST:PORT of the coordinator (default: $CIFAKE_COORDINATOR).")
    var coordinator: String?

    @Option(name: .long, help: "Local copy of the data (used if its digest matches; otherwise the coordinator's is fetched).")
    var data: String?

    @Option(name: .long, help: "Compute threads.")
    var threads = 1

    @Option(name: .long, help: "Folder caching data received from coordinators.")
    var cache: String?

    func run() throws {
        guard let address = coordinator ?? ProcessInfo.processInfo.environment["CIFAKE_COORDINATOR"] else {
            throw ValidationError("give --coordinator HOST:PORT or set CIFAKE_COORDINATOR")
        }
        var options = EvaluatorNode.Options(coordinator: address)
        options.dataPath = data
        options.threads = threads
        if let cache { options.cacheFolder = cache }
        do {
            try EvaluatorNode(options: options, log: { writeStandardError("\($0)\n") }).run()
        } catch {
            throw CLIError.message("evaluator: \(error)", code: 1)
        }
    }
}
