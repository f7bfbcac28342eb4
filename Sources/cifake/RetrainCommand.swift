import ArgumentParser
import Coordination
import Checkpoints
import Cluster
import Foundation
import Signals
import Training

/// `cifake retrain`: one scheduled retraining run against a model registry.
struct RetrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrain",
        abstract: "Retrain from the promoted model on the current data; promote the candidate only if it is at least as good.",
        discussion: """
            Warm-starts from the registry's promoted model (from scratch the first time), trains on \
            'data' as it is now (images added since the last run included) into \
            REGISTRY/candidates/<UTC time>-<n>/, scores the candidate and the promoted model on the \
            same fixed evaluation set ('evaluation_data', else 'test_data', else the test folder of \
            'data'), and promotes the candidate when, by 'promotion_metric' (accuracy, f1, auc: higher \
            is better; log_loss: lower is better), candidate >= promoted + 'promotion_margin' \
            (candidate <= promoted - margin for log_loss). REGISTRY/promoted names the promoted \
            candidate and is replaced atomically; REGISTRY/history.jsonl logs every decision. \
            Settings come from --config, then CIFAKE_<KEY> variables, then flags; 'registry' and \
            'data' are required.

            One run at a time: a run holds REGISTRY/lock (flock; released by the kernel when the \
            process ends, however it ends) and a second run exits at once with exit status 4.

            Exit status: 0 the candidate was promoted; 3 the old model was kept (the candidate is \
            in the registry, not promoted); 1 failed (training, evaluation or the registry; the \
            promoted model is unchanged); 2 the configuration is invalid; 4 another retraining run \
            holds the lock (nothing was done); 75 stopped by SIGTERM/SIGINT between two steps (the \
            candidate is recorded as interrupted, the promoted model is unchanged). --kept-exit-code 0 makes "kept" a success for a \
            scheduler that knows only success and failure (a Kubernetes Job).
            """)

    static let busyExitCode: Int32 = 4

    @Option(name: .long, help: "YAML configuration file (default: $CIFAKE_CONFIG).")
    var config: String?

    @Option(name: .long, help: "Model registry folder (key 'registry').")
    var registry: String?

    @Option(name: .long, help: "Training data: folder or packed file (key 'data').")
    var data: String?

    @Option(name: .customLong("evaluation-data"), help: "The fixed evaluation set (key 'evaluation_data').")
    var evaluationData: String?

    @Option(name: .long, help: "Epochs of the candidate's training.")
    var epochs: Int?

    @Option(name: .long, help: "Compute threads.")
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp("Train the candidate with a cluster of N worker processes on this machine (a coordinator, N workers and an evaluator, as `train --workers N`), warm-started from the promoted model on every rank. The lock, the promotion gate, the registry and the exit codes are the same.", valueName: "N"))
    var workers: Int?

    @Option(name: .long, help: ArgumentHelp("Be the coordinator of the candidate's training at HOST:PORT instead: N workers join from other machines with `cifake worker --coordinator HOST:PORT` (the same keys and rendezvous as `cifake coordinator`; N from --min-workers, $CIFAKE_WORKERS or $SLURM_NTASKS) and start from the promoted model.", valueName: "HOST:PORT"))
    var listen: String?

    @Option(name: .customLong("min-workers"), help: "With --listen: workers needed to start (default: $CIFAKE_WORKERS, else $SLURM_NTASKS, else 2).")
    var minWorkers: Int?

    @Option(name: .customLong("worker-threads"), help: "With --workers: compute threads per worker (default: cores / N).")
    var workerThreads: Int?

    @Option(name: .customLong("kept-exit-code"), help: "Exit status when the old model is kept.")
    var keptExitCode: Int32 = 3

    @Flag(name: .long, help: "Print kernel and data details.")
    var verbose = false

    func validate() throws {
        guard (0...255).contains(keptExitCode) else { throw ValidationError("--kept-exit-code must be 0...255, found \(keptExitCode)") }
        if let workers, !(1...CoordinatorConfiguration.maximumWorkers).contains(workers) {
            throw ValidationError("--workers must be in 1...\(CoordinatorConfiguration.maximumWorkers), found \(workers)")
        }
        if let workerThreads, !(1...256).contains(workerThreads) { throw ValidationError("--worker-threads must be in 1...256, found \(workerThreads)") }
    }

    func run() throws {
        let settings: TrainingConfig
        do {
            let resolved = try ConfigLayers.resolve(file: config ?? ProcessInfo.processInfo.environment["CIFAKE_CONFIG"], flags: [
                .flag("--registry", "registry", registry), .flag("--data", "data", data),
                .flag("--evaluation-data", "evaluation_data", evaluationData), .flag("--epochs", "epochs", epochs),
                .flag("--threads", "threads", threads),
            ])
            settings = resolved.config
            for w in resolved.warnings { log.warning("\(w)") }
        } catch {
            throw CLIError.message(error.description, code: 2)
        }
        if workers != nil && listen != nil { throw CLIError.message("--workers (a cluster on this machine) and --listen (workers from elsewhere) exclude each other", code: 2) }
        let environment = ProcessInfo.processInfo.environment
        let minWorkers: Int
        do { minWorkers = try self.minWorkers ?? SchedulerEnvironment(environment).workers ?? 2 } catch { throw CLIError.message("\(error)", code: 2) }
        guard (1...CoordinatorConfiguration.maximumWorkers).contains(minWorkers) else {
            throw CLIError.message("--min-workers must be in 1...\(CoordinatorConfiguration.maximumWorkers), found \(minWorkers)", code: 2)
        }
        let outcome: Retraining.Outcome
        do {
            var retraining: Retraining
            if let listen {
                retraining = Retraining(config: settings, verbose: verbose)
                retraining.trainCandidate = { config, initialWeights in
                    var options = CoordinatorServer.Options()
                    options.listen = listen
                    options.minWorkers = minWorkers
                    options.maxWorkers = minWorkers
                    options.initialWeights = initialWeights
                    options.stop = TrainCommand.stopSignal(config.stopGraceSeconds)
                    let progress = ProgressReporter()
                    progress.plainInterval = 1
                    do {
                        try CoordinatorServer(config: config, options: options, progress: progress).run()
                    } catch RuntimeError.suspended(let why) {
                        throw TrainingStopped(signal: "SIGTERM or SIGINT", step: 0, totalSteps: 0, checkpoint: why, runFolder: config.out)
                    }
                    return nil
                }
            } else if let workers {
                // The launcher handles SIGTERM/SIGINT itself: a graceful cluster stop, exit 75.
                retraining = Retraining(config: settings, verbose: verbose)
                retraining.trainCandidate = { [workerThreads] config, initialWeights in
                    try Self.trainWithCluster(config, initialWeights: initialWeights, workers: workers, threadsPerWorker: workerThreads)
                }
            } else {
                retraining = Retraining(config: settings, verbose: verbose, stop: TrainCommand.stopSignal(settings.stopGraceSeconds))
            }
            outcome = try retraining.run()
        } catch {
            switch error {
            case .invalid(let problem): throw CLIError.message(problem.description, code: 2)
            case .busy(let text): throw CLIError.message(text, code: Self.busyExitCode)
            case .failed(let text): throw CLIError.message("retraining failed: \(text)", code: 1)
            case .stopped(let text): throw CLIError.message("retraining stopped: \(text)", code: StopSignal.gracefulExitStatus)
            }
        }
        let r = outcome.record
        print("\(r.decision.rawValue) \(r.candidate): \(r.reason)")
        if !outcome.promoted && keptExitCode != 0 { throw ExitCode(keptExitCode) }
    }

    /// The candidate trained by a local cluster (`LocalCluster`, as `train --workers N`) in
    /// `config.out`; a graceful stop (exit 75) becomes `TrainingStopped`, so the run is recorded
    /// as interrupted.
    static func trainWithCluster(_ config: TrainingConfig, initialWeights: String?, workers: Int, threadsPerWorker: Int?) throws -> Int? {
        var cluster = LocalCluster(config: config, workers: workers,
                                   threadsPerWorker: threadsPerWorker ?? LocalCluster.defaultThreadsPerWorker(workers: workers))
        cluster.initialWeights = initialWeights
        let status = try cluster.run()
        if status == StopSignal.gracefulExitStatus {
            let latest = CheckpointStore(runFolder: config.out, keep: config.keepCheckpoints).pointer("latest") ?? 0
            throw TrainingStopped(signal: "SIGTERM or SIGINT", step: latest, totalSteps: 0, checkpoint: "step \(latest)", runFolder: config.out)
        }
        guard status == 0 else { throw RetrainingError.failed("the cluster training the candidate exited with status \(status)") }
        return nil
    }
}
