import ArgumentParser
import Coordination
import Foundation
import Kernels
import Runtime
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
            (see cifake report).
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

    @Option(name: .long, help: "Run folder to write.")
    var out: String?

    @Option(name: .long, help: "Seed for initialisation, shuffling, augmentation and dropout.")
    var seed: UInt64?

    @Option(name: .long, help: "Compute threads.")
    var threads: Int?

    @Option(name: .long, help: "Train as a cluster on this machine: a coordinator and this many worker processes (default: $CIFAKE_WORKERS).")
    var workers: Int?

    @Option(name: .customLong("worker-threads"), help: "Compute threads per worker (default: cores / workers, at least 1).")
    var workerThreads: Int?

    @Option(name: .long, help: ArgumentHelp("Continue an interrupted run from its newest intact checkpoint (RUN_DIR/checkpoints/latest, else older ones); the run's own config.yaml is used.", valueName: "RUN_DIR"))
    var resume: String?

    @Flag(name: .long, help: "Print kernel and data details.")
    var verbose = false

    func run() throws {
        if let resume {
            let changed = [config, data, testData, model, out].compactMap { $0 }.count
                + [dense, epochs, batch].compactMap { $0 }.count + (learningRate == nil ? 0 : 1) + (seed == nil ? 0 : 1)
            guard changed == 0 else {
                throw CLIError.message("--resume continues the run as recorded in \(resume)/config.yaml; only --threads, --workers and --worker-threads may be given with it", code: 2)
            }
            if let workers {
                try runCluster(resumeFolder: resume, settings: try recorded(resume), workers: workers)
                return
            }
            do {
                _ = try TrainingRun.resume(folder: resume, threads: threads, verbose: verbose)
            } catch {
                throw CLIError.message("\(error)", code: 1)
            }
            return
        }
        let settings: TrainingConfig
        do {
            let resolved = try ConfigLayers.resolve(file: config ?? ProcessInfo.processInfo.environment["CIFAKE_CONFIG"], flags: [
                .flag("--data", "data", data), .flag("--test-data", "test_data", testData), .flag("--model", "model", model),
                .flag("--dense", "dense", dense), .flag("--epochs", "epochs", epochs), .flag("--batch", "batch_size", batch),
                .flag("--lr", "learning_rate", learningRate), .flag("--out", "out", out), .flag("--seed", "seed", seed),
                .flag("--threads", "threads", threads),
            ])
            settings = resolved.config
            for w in resolved.warnings { writeStandardError("warning: \(w)\n") }
        } catch {
            throw CLIError.message(error.description, code: 2)
        }
        let scheduler: SchedulerEnvironment
        do { scheduler = try SchedulerEnvironment(ProcessInfo.processInfo.environment) } catch {
            throw CLIError.message(error.description, code: 2)
        }
        let workers = self.workers ?? (scheduler.workersSource == "CIFAKE_WORKERS" ? scheduler.workers : nil)
        if let workers {
            try runCluster(resumeFolder: nil, settings: settings, workers: workers)
            return
        }
        do {
            _ = try TrainingRun(config: settings, verbose: verbose).run()
        } catch {
            throw CLIError.message("\(error)", code: 1)
        }
    }
}

extension TrainCommand {
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
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var cluster = LocalCluster(config: settings, workers: workers, threadsPerWorker: workerThreads ?? max(1, cores / workers))
        cluster.resumeFolder = resumeFolder
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

    /// An error message on standard error and a non-zero exit, without a stack trace.
    static func message(_ text: String, code: Int32) -> ExitCode {
        writeStandardError("error: \(text)\n")
        return ExitCode(code)
    }
}
