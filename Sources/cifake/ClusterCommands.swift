import ArgumentParser
import Coordination
import Foundation
import Logs
import Status
import Cluster
import Signals
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
            Settings: --config, then CIFAKE_<KEY> variables (e.g. CIFAKE_EPOCHS=30), then flags. \
            The worker count defaults to $CIFAKE_WORKERS (or Slurm's $SLURM_NTASKS). With \
            status_port (or --status-listen) it serves /healthz, /status (JSON) and /metrics \
            (Prometheus) over HTTP. It holds its run folder's lock (RUN_DIR/lock) while it runs: a \
            second coordinator or train on the same folder exits at once with status 4, naming the holder.
            Started again with the same command (a restarted pod, a requeued Slurm job, systemd's \
            restart), it continues its run: the run folder is named by the job (out, else \
            runs/$CIFAKE_JOB, else runs/<config file stem>), a folder holding checkpoints of the same \
            configuration resumes from its newest intact one, and a finished run exits 0 at once \
            (resume: auto, the default). A folder holding another configuration's run is refused (status \
            2, naming the keys that differ); resume: never refuses any folder holding a run. \
            Exit status: 0 done or already finished; 1 failed; 2 bad configuration; 4 run folder in use; \
            75 stopped by SIGTERM/SIGINT after a final checkpoint (resumable).
            """)

    @Option(name: .long, help: "YAML configuration file (default: $CIFAKE_CONFIG).")
    var config: String?

    @Option(name: .long, help: "HOST:PORT to listen on (port 0: any free port; default: $CIFAKE_LISTEN, else 0.0.0.0:5555).")
    var listen: String?

    @Option(name: .long, help: "Data folder or packed file (overrides the configuration).")
    var data: String?

    @Option(name: .long, help: "Run folder (overrides the configuration; default: runs/$CIFAKE_JOB, else runs/<--config's file stem>).")
    var out: String?

    @Option(name: .customLong("resume-policy"), help: ArgumentHelp("A run folder holding checkpoints: 'auto' continues a run of the same configuration (a finished one exits 0 at once), 'never' refuses it (config resume; default auto).", valueName: "auto|never"))
    var resumePolicy: String?

    @Option(name: .customLong("min-workers"), help: "Workers needed to start (default: $CIFAKE_WORKERS, else $SLURM_NTASKS, else 2).")
    var minWorkers: Int?

    @Option(name: .customLong("max-workers"), help: "Most workers admitted.")
    var maxWorkers: Int?

    @Option(name: .customLong("max-evaluators"), help: "Most evaluators admitted at once.")
    var maxEvaluators = 1

    @Option(name: .customLong("heartbeat-timeout"), help: "Seconds without a heartbeat before a worker is declared dead (workers send one a second).")
    var heartbeatTimeout = 4.0

    @Option(name: .customLong("wait-timeout"), help: "Seconds to wait, after losing workers, for enough of them again (fewer than --min-workers) before the run fails.")
    var waitTimeout = 300.0

    @Option(name: .long, help: ArgumentHelp("Continue this run folder from its newest intact checkpoint (its config.yaml is used).", valueName: "RUN_DIR"))
    var resume: String?

    @Option(name: .customLong("status-listen"), help: "HOST:PORT of the HTTP status server (default: $CIFAKE_STATUS_LISTEN, else 0.0.0.0:status_port; port 0: any free port).")
    var statusListen: String?

    @Option(name: .customLong("step-log"), help: ArgumentHelp("Append one JSON line per completed step to this file: time, samples, loss, each rank's compute, all-reduce wait and ring link busy seconds.", valueName: "FILE"))
    var stepLog: String?

    @Option(name: .customLong("initial-weights"), help: ArgumentHelp("Model file every worker starts from instead of the seeded initialisation (a warm start: Adam starts afresh; `retrain --workers` passes the promoted model). Ignored with --resume.", valueName: "MODEL"))
    var initialWeights: String?

    @Option(name: .long, help: "Folder keeping the packed data served to workers, one file per data digest, shared by runs and by workers on this host (default: $CIFAKE_CACHE, else ~/.cache/cifake).")
    var cache: String?

    func run() throws {
        var settings: TrainingConfig
        let scheduler: SchedulerEnvironment
        let environment = ProcessInfo.processInfo.environment
        let configPath = config ?? environment["CIFAKE_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        do {
            if let resume {
                // The run continues exactly as recorded; a --config given beside it supplies only
                // this launch's transport keys and status port.
                guard out == nil, data == nil, resumePolicy == nil else {
                    throw ValidationError("--resume uses the run folder's own config.yaml; drop --data, --out and --resume-policy")
                }
                var recorded = try TrainingRun.recordedConfig(folder: resume)
                if let config { recorded.takeLaunchSettings(from: try ConfigFile.load(config)) }
                settings = recorded
            } else {
                let resolved = try ConfigLayers.resolve(file: configPath, environment: environment,
                                                        flags: [.flag("--data", "data", data), .flag("--out", "out", out),
                                                                .flag("--resume-policy", "resume", resumePolicy)])
                settings = resolved.config
                for w in resolved.warnings { log.warning("\(w)") }
                // Named by the job, not the clock: the same command started again finds its run.
                if settings.out.isEmpty { settings.out = TrainingRun.defaultFolder(settings, configPath: configPath, environment: environment) }
            }
            scheduler = try SchedulerEnvironment(environment)
        } catch {
            throw CLIError.message("coordinator: \(error)", code: 2)
        }
        let minWorkers = self.minWorkers ?? scheduler.workers ?? 2
        let problems = CoordinatorConfiguration.problems(minWorkers: minWorkers, maxWorkers: maxWorkers ?? minWorkers,
                                                         heartbeatTimeout: heartbeatTimeout, waitTimeout: waitTimeout)
        guard problems.isEmpty else { throw CLIError.message("coordinator: " + problems.joined(separator: "; "), code: 2) }
        do {
            var options = CoordinatorServer.Options()
            options.listen = listen ?? environment["CIFAKE_LISTEN"].flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0:5555"
            options.minWorkers = minWorkers
            options.maxWorkers = maxWorkers ?? minWorkers
            options.heartbeatTimeout = heartbeatTimeout
            options.maxEvaluators = maxEvaluators
            options.belowMinimumTimeout = waitTimeout
            options.resume = resume != nil
            options.stepLog = stepLog
            options.initialWeights = initialWeights
            if let cache { options.cacheFolder = cache }
            options.stop = TrainCommand.stopSignal(settings.stopGraceSeconds)
            let progress = ProgressReporter()
            progress.plainInterval = 1
            let status = try StatusEndpoint.start(role: "coordinator", flag: statusListen, statusPort: settings.statusPort)
            options.status = status?.board
            defer { status?.server.stop() }
            // The run folder is the coordinator's for as long as it runs: chosen here (not by the
            // server) so that it is locked before anything is written into it.
            let folderLock = try RunFolderLock.acquire(settings.out)
            defer { folderLock.release() }
            if resume == nil {
                let plan = try RunFolderPlan.decide(folder: settings.out, contents: RunFolderContents.read(settings.out), config: settings.validated(),
                                                    policy: ResumePolicy(rawValue: settings.resume) ?? .auto)
                switch plan {
                case .fresh: break
                case .finished: throw RunAlreadyFinished(folder: settings.out)
                case .resume:
                    // As `--resume`: the run's own config.yaml rules; this launch brings its keys and status port.
                    log.info("\(settings.out) holds checkpoints of this configuration: continuing the run (resume: auto)")
                    var recorded = try TrainingRun.recordedConfig(folder: settings.out)
                    recorded.takeLaunchSettings(from: settings)
                    settings = recorded
                    options.resume = true
                }
            }
            try CoordinatorServer(config: settings, options: options, progress: progress).run()
        } catch RuntimeError.suspended(let why) {
            log.notice("\(why)")
            throw ExitCode(StopSignal.gracefulExitStatus)
        } catch let finished as RunAlreadyFinished {
            log.notice("\(finished)")
        } catch let conflict as RunFolderConflict {
            throw CLIError.message("coordinator: \(conflict)", code: 2)
        } catch let error as RunFolderError {
            if case .inUse = error { throw CLIError.message("coordinator: \(error)", code: TrainCommand.folderInUseExitCode) }
            throw CLIError.message("coordinator: \(error)", code: 1)
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
        discussion: """
            The coordinator's address may also come from CIFAKE_COORDINATOR. The rank to ask for \
            comes from --rank, else CIFAKE_RANK, SLURM_PROCID (srun) or JOB_COMPLETION_INDEX \
            (a Kubernetes Indexed Job); the coordinator grants it when that rank is free.
            With --status-listen (or $CIFAKE_STATUS_LISTEN) it serves /healthz, /readyz (200 while \
            it is in a formed ring with its data), /status (JSON) and /metrics (Prometheus: its \
            steps, images, step, compute, all-reduce wait and ring communication seconds, ring \
            bytes, generation, rank and gradient compression) over HTTP.
            Exit status: 0 the run finished; 1 failed; 2 bad arguments; 75 stopped by SIGTERM/SIGINT \
            (it left the ring, or the coordinator suspended the run).
            """)

    @Option(name: .long, help: "HOST:PORT of the coordinator (default: $CIFAKE_COORDINATOR).")
    var coordinator: String?

    @Option(name: .long, help: "Own configuration file (checked against the coordinator's); default: the coordinator's.")
    var config: String?

    @Option(name: .long, help: "Local copy of the data (used if its digest matches; otherwise the coordinator's is fetched).")
    var data: String?

    @Option(name: .long, help: "Compute threads of this worker (default: $CIFAKE_THREADS, else 1).")
    var threads: Int?

    @Option(name: .long, help: "Rank to ask the coordinator for (default: from the scheduler's environment).")
    var rank: Int?

    @Option(name: .long, help: "Stable name of this worker across restarts (a restart replaces its earlier self; default: host-pid).")
    var name: String?

    @Option(name: .long, help: "Folder caching data received from coordinators.")
    var cache: String?

    @Option(name: .long, help: "Address the other workers reach this one on (default: the local address facing the coordinator).")
    var advertise: String?

    @Option(name: .customLong("status-listen"), help: "HOST:PORT of the HTTP status server: /healthz, /readyz, /status, /metrics (default: $CIFAKE_STATUS_LISTEN, else none; port 0: any free port). status_port is the coordinator's and is not used here.")
    var statusListen: String?

    @Flag(name: .customLong("tcp-only"),
          help: "Reach ring neighbours on this host over TCP too (default: a Unix socket when they share this kernel and network namespace).")
    var tcpOnly = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let scheduler: SchedulerEnvironment
        do { scheduler = try SchedulerEnvironment(environment) } catch { throw CLIError.message("worker: \(error)", code: 2) }
        guard let address = coordinator ?? scheduler.coordinator else {
            throw ValidationError("give --coordinator HOST:PORT or set CIFAKE_COORDINATOR")
        }
        // The worker trains with the coordinator's settings; only its own thread count is its own.
        let threadVariable = ConfigLayers.environmentVariable(for: "threads")
        var options = WorkerNode.Options(coordinator: address)
        options.configPath = config
        options.dataPath = data
        var threads = self.threads
        if threads == nil, let text = environment[threadVariable], !text.isEmpty {
            guard let n = Int(text) else { throw CLIError.message("worker: \(threadVariable): found '\(text)', expected an integer", code: 2) }
            threads = n
        }
        if let threads {
            guard (1...256).contains(threads) else { throw ValidationError("--threads (or \(threadVariable)) must be in 1...256, found \(threads)") }
            options.threads = threads
        }
        if let cache { options.cacheFolder = cache }
        options.advertiseHost = advertise
        options.sameHostUnixSockets = !tcpOnly
        options.requestedRank = rank ?? scheduler.rank
        if let rank = options.requestedRank {
            guard (0..<CoordinatorConfiguration.maximumWorkers).contains(rank) else {
                throw ValidationError("--rank must be in 0...\(CoordinatorConfiguration.maximumWorkers - 1), found \(rank)")
            }
            options.nodeID += "-rank\(rank)"
        }
        if let name { options.nodeID = name }
        // Named by its node until the coordinator grants a rank (WorkerNode then labels the lines).
        ProcessLabels.shared.update { $0.node = options.nodeID }
        if rank == nil, let source = scheduler.rankSource, let r = scheduler.rank {
            log.info("asking for rank \(r) (from \(source))")
        }
        // The coordinator orchestrates a stop; a worker signalled alone leaves the ring in half
        // the grace period (the stop_grace_seconds of CIFAKE_STOP_GRACE_SECONDS, else 25 s).
        let grace = environment["CIFAKE_STOP_GRACE_SECONDS"].flatMap(Double.init).flatMap { $0 > 0 && $0 <= 3600 ? $0 : nil }
            ?? StopSignal.defaultGraceSeconds
        options.stop = TrainCommand.stopSignal(grace)
        options.leaveAfterSeconds = grace / 2
        let status = try Self.startStatus(.worker(), flag: statusListen, role: "worker")
        defer { status?.server.stop() }
        options.status = status?.board
        do {
            try WorkerNode(options: options, log: { log.log(prefixed: $0) }).run()
        } catch RuntimeError.suspended(let why) {
            log.notice("\(why)")
            throw ExitCode(StopSignal.gracefulExitStatus)
        } catch {
            throw CLIError.message("worker: \(error)", code: 1)
        }
    }
}

/// `cifake evaluator`: scores each consolidated checkpoint beside training.
struct EvaluatorCommand: ParsableCommand {
    @Option(name: .long, help: "Own configuration file: its CURVE keys (worker_secret_key, coordinator_public_key), and its settings are checked against the coordinator's.")
    var config: String?

    static let configuration = CommandConfiguration(
        commandName: "evaluator",
        abstract: "Join a training cluster as its evaluation worker.",
        discussion: """
            The coordinator offers every consolidated checkpoint; the evaluator fetches the newest \
            (skipping any it had no time for), scores it on the validation hold-out and the test \
            split, and reports the metrics, which the coordinator records in evaluations.jsonl and \
            uses to keep the best checkpoint and to stop early. The coordinator's address may also \
            come from CIFAKE_COORDINATOR.
            With --status-listen (or $CIFAKE_STATUS_LISTEN) it serves /healthz, /readyz (200 once \
            admitted with its data), /status (JSON) and /metrics (Prometheus: evaluations, \
            evaluation seconds, checkpoints fetched, the last test accuracy, loss and AUC) over HTTP.
            """)

    @Option(name: .long, help: "HOST:PORT of the coordinator (default: $CIFAKE_COORDINATOR).")
    var coordinator: String?

    @Option(name: .long, help: "Local copy of the data (used if its digest matches; otherwise the coordinator's is fetched).")
    var data: String?

    @Option(name: .long, help: "Compute threads.")
    var threads = 1

    @Option(name: .long, help: "Folder caching data received from coordinators.")
    var cache: String?

    @Option(name: .long, help: "Stable name of this evaluator across restarts (a restart replaces its earlier self; default: evaluator-host-pid).")
    var name: String?

    @Option(name: .customLong("status-listen"), help: "HOST:PORT of the HTTP status server: /healthz, /readyz, /status, /metrics (default: $CIFAKE_STATUS_LISTEN, else none; port 0: any free port). status_port is the coordinator's and is not used here.")
    var statusListen: String?

    func run() throws {
        guard let address = coordinator ?? ProcessInfo.processInfo.environment["CIFAKE_COORDINATOR"] else {
            throw ValidationError("give --coordinator HOST:PORT or set CIFAKE_COORDINATOR")
        }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256, found \(threads)") }
        var options = EvaluatorNode.Options(coordinator: address)
        options.configPath = config
        options.dataPath = data
        options.threads = threads
        if let cache { options.cacheFolder = cache }
        if let name { options.nodeID = name }
        ProcessLabels.shared.update { $0.node = options.nodeID }
        let status = try WorkerCommand.startStatus(.evaluator(), flag: statusListen, role: "evaluator")
        defer { status?.server.stop() }
        options.status = status?.board
        do {
            try EvaluatorNode(options: options, log: { log.log(prefixed: $0) }).run()
        } catch {
            throw CLIError.message("evaluator: \(error)", code: 1)
        }
    }
}

extension WorkerCommand {
    /// The status server of a worker or an evaluator, if asked for; a bad or busy address is a
    /// usage error (status 2), before the process joins anything.
    static func startStatus(_ initial: StatusSnapshot, flag: String?, role: String) throws -> (server: StatusServer, board: StatusBoard)? {
        do { return try StatusEndpoint.start(initial, flag: flag) } catch {
            throw CLIError.message("\(role): --status-listen: \(error)", code: 2)
        }
    }
}
