import ArgumentParser
import Coordination
import Foundation
import Logs
import Kernels
import Cluster
import Signals
import Status
import Training

/// `cifake train`: one process trains the paper's CNN and writes a run folder.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the CNN on CIFAKE (or a synthetic set) and write a run folder.",
        discussion: """
            Settings come from --config (YAML, see Config/), then from environment variables \
            (CIFAKE_<KEY>, e.g. CIFAKE_BATCH_SIZE=256), then from flags, which win. Without \
            --data, a small synthetic two-class set is generated so the command works offline.
            The run folder gets config.yaml, history.jsonl, model.safetensors (the epoch with the \
            best validation accuracy), metrics.json (that model on the test split) and report/index.html \
            (see cifake report). The run holds the folder's lock (RUN_DIR/lock) while it runs: a second \
            run on the same folder exits at once, naming the holder.
            SIGTERM or SIGINT: the step in flight finishes (with --workers, the coordinator has every \
            rank finish a step they can all reach), a final checkpoint is written, and every process \
            exits with status 75; --resume RUN_DIR then continues exactly. \
            If that takes longer than the grace period (--stop-grace, stop_grace_seconds, default 25 s), \
            or on a second signal, it exits at once with 128 + the signal's number.
            With --workers N: a coordinator, N workers and an evaluator on this machine. A worker that \
            dies is restarted under the same name and rejoins (--max-restarts, default 3, for all workers \
            together); beyond that the run goes on with the others down to --min-workers (default N). \
            The exit status is then the coordinator's. With --status-listen HOST:PORT (or status_port) each \
            process serves its own /metrics: the coordinator on PORT, worker i on PORT+1+i, the \
            evaluator on PORT+N+1 (port 0: each any free port, printed as "status on http://...").
            The run folder is named by the job (--out; default runs/$CIFAKE_JOB, else runs/<config file stem>, \
            else runs/<model>): started again with the same command on a folder holding checkpoints of the same \
            configuration, the run continues from its newest intact checkpoint, and a finished run exits 0 at \
            once without training (resume: auto, the default); a folder holding a run of another configuration \
            is refused, naming the keys that differ; resume: never (--resume-policy never) refuses any folder \
            holding a run.
            Exit status: 0 done (or already finished); 1 failed; 2 bad configuration or arguments; 4 the run folder is in use \
            by another run (nothing was done); 75 stopped by SIGTERM/SIGINT after a final checkpoint \
            (resumable); 143 or 130 killed by SIGTERM or SIGINT after the grace period, without one.
            """)

    @Option(name: .long, help: "YAML configuration file (e.g. Config/cnn2d-d32.yaml; default: $CIFAKE_CONFIG).")
    var config: String?

    @Option(name: .long, help: "CIFAKE folder (train/ and test/, or REAL/ and FAKE/), packed file, or 'synthetic'.")
    var data: String?

    @Option(name: .customLong("test-data"), help: "Separate test set: test metrics and a per-epoch monitor (the training data is then used whole).")
    var testData: String?

    @Option(name: .long, help: "Model: cnn2d or cnn2d-ext.")
    var model: String?

    @Option(name: .long, help: "Width of CNN2D's hidden dense layer (paper: 32, 64, 128, 4096).")
    var dense: Int?

    @Option(name: .long, help: "Epochs.")
    var epochs: Int?

    @Option(name: .long, help: "Global batch size.")
    var batch: Int?

    @Option(name: .customLong("lr"), help: "Learning rate.")
    var learningRate: Float?

    @Option(name: .long, help: "Run folder (default: runs/$CIFAKE_JOB, else runs/<--config's file stem>, else runs/<model>, e.g. runs/cnn2d-d32).")
    var out: String?

    @Option(name: .customLong("resume-policy"), help: ArgumentHelp("A run folder holding checkpoints: 'auto' continues a run of the same configuration (a finished one exits 0 at once), 'never' refuses it (config resume; default auto).", valueName: "auto|never"))
    var resumePolicy: String?

    @Option(name: .long, help: "Seed for initialisation, shuffling, augmentation and dropout.")
    var seed: UInt64?

    @Option(name: .long, help: "Compute threads.")
    var threads: Int?

    @Option(name: .long, help: "Train as a cluster on this machine: a coordinator and this many worker processes (default: $CIFAKE_WORKERS).")
    var workers: Int?

    @Option(name: .customLong("worker-threads"), help: "Compute threads per worker (default: cores / workers, at least 1).")
    var workerThreads: Int?

    @Option(name: .customLong("max-restarts"), help: ArgumentHelp("With --workers: restarts of failed workers, all together, before the run goes on without them (default 3; the evaluator has as many of its own).", valueName: "N"))
    var maxRestarts: Int?

    @Option(name: .customLong("min-workers"), help: ArgumentHelp("With --workers: fewest workers the run waits for at the start and goes on with once restarts are used up (default: --workers).", valueName: "N"))
    var minWorkers: Int?

    @Option(name: .long, help: ArgumentHelp("Continue an interrupted run from its newest intact checkpoint (RUN_DIR/checkpoints/latest, else older ones); the run's own config.yaml is used.", valueName: "RUN_DIR"))
    var resume: String?

    @Option(name: .customLong("stop-grace"), help: ArgumentHelp("Seconds from SIGTERM/SIGINT to the forced exit (config stop_grace_seconds; default 25).", valueName: "SECONDS"))
    var stopGrace: Double?

    @Option(name: .customLong("status-listen"), help: "HOST:PORT of the HTTP status server: /healthz, /readyz, /status, /metrics (default: $CIFAKE_STATUS_LISTEN, else 0.0.0.0:status_port; status_port 0, the default: none; port 0: any free port). With --workers N, a base: the coordinator on PORT, worker i on PORT+1+i, the evaluator on PORT+N+1.")
    var statusListen: String?

    @Flag(name: .long, help: "Print kernel and data details.")
    var verbose = false

    func run() throws {
        if let resume {
            let changed = [config, data, testData, model, out, resumePolicy].compactMap { $0 }.count
                + [dense, epochs, batch].compactMap { $0 }.count + (learningRate == nil ? 0 : 1) + (seed == nil ? 0 : 1)
            guard changed == 0 else {
                throw CLIError.message("--resume continues the run as recorded in \(resume)/config.yaml; only --threads, --workers, --worker-threads, --min-workers, --max-restarts and --stop-grace may be given with it", code: 2)
            }
            if let workers {
                try runCluster(resumeFolder: resume, settings: try recorded(resume), workers: workers)
                return
            }
            guard minWorkers == nil, maxRestarts == nil else {
                throw CLIError.message("--min-workers and --max-restarts apply to a cluster run: give --workers N too", code: 2)
            }
            // Launch settings only: the run itself is as recorded.
            let grace: Double
            do {
                let variable = ConfigLayers.environmentVariable(for: "stop_grace_seconds")
                grace = try ConfigLayers.resolve(file: nil, environment: ProcessInfo.processInfo.environment.filter { $0.key == variable },
                                                 flags: [.flag("--stop-grace", "stop_grace_seconds", stopGrace)]).config.stopGraceSeconds
            } catch {
                throw CLIError.message(error.description, code: 2)
            }
            let status = try startStatus(statusPort: 0)
            defer { status?.server.stop() }
            try Self.single { try TrainingRun.resume(folder: resume, threads: threads, verbose: verbose, stop: Self.stopSignal(grace), status: status?.board) }
            return
        }
        var settings: TrainingConfig
        let environment = ProcessInfo.processInfo.environment
        let configPath = config ?? environment["CIFAKE_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        do {
            let resolved = try ConfigLayers.resolve(file: configPath, flags: [
                .flag("--data", "data", data), .flag("--test-data", "test_data", testData), .flag("--model", "model", model),
                .flag("--dense", "dense", dense), .flag("--epochs", "epochs", epochs), .flag("--batch", "batch_size", batch),
                .flag("--lr", "learning_rate", learningRate), .flag("--out", "out", out), .flag("--seed", "seed", seed),
                .flag("--threads", "threads", threads), .flag("--stop-grace", "stop_grace_seconds", stopGrace),
                .flag("--resume-policy", "resume", resumePolicy),
            ])
            settings = resolved.config
            for w in resolved.warnings { log.warning("\(w)") }
        } catch {
            throw CLIError.message(error.description, code: 2)
        }
        // Named by the job, not the clock: the same command started again finds its run.
        if settings.out.isEmpty { settings.out = TrainingRun.defaultFolder(settings, configPath: configPath, environment: environment) }
        let scheduler: SchedulerEnvironment
        do { scheduler = try SchedulerEnvironment(ProcessInfo.processInfo.environment) } catch {
            throw CLIError.message(error.description, code: 2)
        }
        let workers = self.workers ?? (scheduler.workersSource == "CIFAKE_WORKERS" ? scheduler.workers : nil)
        if workers == nil, minWorkers != nil || maxRestarts != nil {
            throw CLIError.message("--min-workers and --max-restarts apply to a cluster run: give --workers N (or CIFAKE_WORKERS) too", code: 2)
        }
        if let workers {
            try runCluster(resumeFolder: nil, settings: settings, workers: workers)
            return
        }
        let status = try startStatus(statusPort: settings.statusPort)
        defer { status?.server.stop() }
        try Self.single { try TrainingRun(config: settings, verbose: verbose, stop: Self.stopSignal(settings.stopGraceSeconds), status: status?.board).run() }
    }

    /// The status server of a single-process run, if asked for; a bad address is a usage error.
    func startStatus(statusPort: Int) throws -> (server: StatusServer, board: StatusBoard)? {
        do { return try StatusEndpoint.start(role: "train", flag: statusListen, statusPort: statusPort) } catch {
            throw CLIError.message("\(error)", code: 2)
        }
    }

    /// A run folder in use by another run exits with this status (as `cifake retrain` does when
    /// another retraining run holds the registry).
    static let folderInUseExitCode: Int32 = 4

    /// Runs a single-process run and maps how it ended to the exit status.
    static func single(_ run: () throws -> TrainingRun.Outcome) throws {
        do {
            _ = try run()
        } catch is TrainingStopped {
            // The run has logged its final checkpoint and how to continue.
            throw ExitCode(StopSignal.gracefulExitStatus)
        } catch let finished as RunAlreadyFinished {
            log.notice("\(finished)")
        } catch let conflict as RunFolderConflict {
            throw CLIError.message(conflict.description, code: 2)
        } catch let error as RunFolderError {
            if case .inUse = error { throw CLIError.message(error.description, code: folderInUseExitCode) }
            throw CLIError.message(error.description, code: 1)
        } catch {
            throw CLIError.message("\(error)", code: 1)
        }
    }

    /// SIGTERM and SIGINT become a stop request that the run checks between steps.
    static func stopSignal(_ graceSeconds: Double) -> StopSignal {
        StopSignal.install(graceSeconds: graceSeconds) { log.log(prefixed: $0) }
    }
}

extension TrainCommand {
    /// The most restarts `--max-restarts` accepts: beyond it a fault is not transient.
    static let restartLimit = 1000

    func recorded(_ folder: String) throws -> TrainingConfig {
        do { return try TrainingRun.recordedConfig(folder: folder) } catch { throw CLIError.message("\(error)", code: 2) }
    }

    func runCluster(resumeFolder: String?, settings: TrainingConfig, workers: Int) throws {
        guard (1...CoordinatorConfiguration.maximumWorkers).contains(workers) else {
            throw CLIError.message("--workers must be in 1...\(CoordinatorConfiguration.maximumWorkers), found \(workers)", code: 2)
        }
        if let workerThreads, !(1...256).contains(workerThreads) {
            throw CLIError.message("--worker-threads must be in 1...256, found \(workerThreads)", code: 2)
        }
        var cluster = LocalCluster(config: settings, workers: workers,
                                   threadsPerWorker: workerThreads ?? LocalCluster.defaultThreadsPerWorker(workers: workers))
        if let minWorkers {
            guard (1...workers).contains(minWorkers) else {
                throw CLIError.message("--min-workers must be 1...\(workers) (--workers), found \(minWorkers)", code: 2)
            }
            cluster.minWorkers = minWorkers
        }
        if let maxRestarts {
            guard (0...Self.restartLimit).contains(maxRestarts) else {
                throw CLIError.message("--max-restarts must be 0...\(Self.restartLimit), found \(maxRestarts)", code: 2)
            }
            cluster.maxRestarts = maxRestarts
        }
        cluster.resumeFolder = resumeFolder
        if let statusListen {
            guard LocalCluster.statusAddresses(base: statusListen, workers: workers) != nil else {
                throw CLIError.message("\(LocalClusterError.badStatusAddress(statusListen, workers: workers))", code: 2)
            }
            cluster.statusListen = statusListen
        }
        let status: Int32
        do { status = try cluster.run() } catch { throw CLIError.message("\(error)", code: 1) }
        if status != 0 { throw ExitCode(status) }
    }
}

enum CLIError: Error, CustomStringConvertible {
    case refused(String)

    var description: String {
        switch self {
        case .refused(let text): text
        }
    }

    /// An error message on standard error and a non-zero exit, without a stack trace: a log
    /// line at level error, except for a usage error (status 2), which stays a plain
    /// `error: ...` line as the argument parser's own are.
    static func message(_ text: String, code: Int32) -> ExitCode {
        if code == 2 { writeStandardError("error: \(text)\n") } else { log.error("\(text)") }
        return ExitCode(code)
    }
}
