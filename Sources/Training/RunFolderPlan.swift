import Foundation

/// What a start (`train`, `coordinator`) does with its run folder, decided from what the folder
/// holds, the configuration given and the `resume` policy. Pure: ``RunFolderContents`` does the
/// reading. A job restarted with the same command therefore continues its run (Kubernetes,
/// Slurm's requeue, systemd's restart), and a finished one is not trained again.
public enum RunFolderPlan: Equatable, Sendable {
    /// Nothing to continue: write `config.yaml` and train from the first step.
    case fresh
    /// Checkpoints of this configuration: continue from the newest intact one.
    case resume
    /// `model.safetensors` and `metrics.json` are written: nothing to do.
    case finished

    /// Keys that belong to a launch, not to the run: they may differ between starts of one run.
    public static let ignoredKeys: Set<String> = Set(TrainingConfig.launchKeys).union(["out", "threads"])

    public static func decide(folder: String, contents: RunFolderContents, config: TrainingConfig,
                              policy: ResumePolicy) throws(RunFolderConflict) -> RunFolderPlan {
        guard let recorded = contents.recorded else {
            if contents.checkpointSteps.isEmpty && !contents.hasModel { return .fresh }
            throw .notARun(folder: folder)
        }
        let differences = Self.differences(recorded: recorded, given: config)
        guard differences.isEmpty else { throw .differentConfiguration(folder: folder, differences: differences) }
        if contents.hasModel || !contents.checkpointSteps.isEmpty, policy == .never {
            throw .holdsRun(folder: folder, checkpoints: contents.checkpointSteps.count, finished: contents.hasModel)
        }
        if contents.hasModel {
            guard contents.hasMetrics else { throw .unfinishedEnd(folder: folder) }
            return .finished
        }
        return contents.checkpointSteps.isEmpty ? .fresh : .resume
    }

    /// The keys on which two configurations define different runs, with both values, sorted by key.
    public static func differences(recorded: TrainingConfig, given: TrainingConfig) -> [RunFolderConflict.Difference] {
        func values(_ config: TrainingConfig) -> [String: String] {
            guard let data = try? JSONEncoder().encode(config),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
            return object.mapValues { "\($0)" }
        }
        let a = values(recorded), b = values(given)
        return TrainingConfig.keys.filter { !ignoredKeys.contains($0) && a[$0] != b[$0] }.sorted()
            .map { RunFolderConflict.Difference(key: $0, recorded: a[$0] ?? "", given: b[$0] ?? "") }
    }
}

/// A run folder a start will not use, naming the folder and what is in the way.
public enum RunFolderConflict: Error, CustomStringConvertible, Equatable {
    public struct Difference: Equatable, Sendable {
        public var key: String
        public var recorded: String
        public var given: String
    }

    /// `config.yaml` records another run: the keys that differ.
    case differentConfiguration(folder: String, differences: [Difference])
    /// `resume: never`, and the folder holds a run.
    case holdsRun(folder: String, checkpoints: Int, finished: Bool)
    /// Checkpoints or a model without a `config.yaml`: not a folder a cifake run wrote.
    case notARun(folder: String)
    /// `model.safetensors` without `metrics.json`: the run died while writing its results.
    case unfinishedEnd(folder: String)

    public var description: String {
        switch self {
        case let .differentConfiguration(folder, differences):
            let list = differences.map { "\($0.key): recorded '\($0.recorded)', given '\($0.given)'" }.joined(separator: "; ")
            return "\(folder) holds a run of a different configuration (\(list)); choose another run folder (--out, or CIFAKE_JOB) or give the recorded settings"
        case let .holdsRun(folder, checkpoints, finished):
            return "\(folder) holds a \(finished ? "finished run" : "run with \(checkpoints) checkpoint(s)") and resume is 'never'; choose another run folder, or resume: auto to continue it"
        case .notARun(let folder):
            return "\(folder) holds checkpoints or a model but no config.yaml: not a cifake run folder; choose another run folder"
        case .unfinishedEnd(let folder):
            return "\(folder) holds model.safetensors but no metrics.json: the run died while writing its results; remove model.safetensors to resume it from its last checkpoint"
        }
    }
}

/// A start on a run folder whose run is finished (`model.safetensors` and `metrics.json`
/// written): nothing is trained, and the command exits 0.
public struct RunAlreadyFinished: Error, CustomStringConvertible, Equatable {
    public var folder: String
    public init(folder: String) { self.folder = folder }

    public var description: String {
        "\(folder): the run is already finished (model.safetensors and metrics.json); nothing to do. "
            + "A new run needs another run folder (--out, or CIFAKE_JOB)"
    }
}
