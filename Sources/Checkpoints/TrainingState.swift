/// Where a run stands after `step` optimizer steps, as recorded in a checkpoint's metadata.
public struct TrainingState: Sendable, Equatable {
    /// Optimizer steps completed; the next step to run.
    public var step: Int
    public var stepsPerEpoch: Int
    /// Adam's update count (equals `step` unless the optimizer was reset).
    public var adamStep: Int
    public var seed: UInt64
    /// Replicas that trained the last step.
    public var worldSize: Int
    /// The run's configuration, as YAML.
    public var configuration: String
    /// Loop bookkeeping that is not the model's (best so far, partial epoch sums, ...), string to
    /// string as safetensors metadata requires; stored under `progress.KEY`.
    public var progress: [String: String]

    public init(step: Int, stepsPerEpoch: Int, adamStep: Int, seed: UInt64, worldSize: Int, configuration: String,
                progress: [String: String] = [:]) {
        self.step = step
        self.stepsPerEpoch = stepsPerEpoch
        self.adamStep = adamStep
        self.seed = seed
        self.worldSize = worldSize
        self.configuration = configuration
        self.progress = progress
    }

    /// The epoch the next step belongs to (0-based).
    public var epoch: Int { step / stepsPerEpoch }
    /// The next step's position within its epoch: the data cursor.
    public var stepInEpoch: Int { step % stepsPerEpoch }
    /// Whether the state sits exactly on an epoch boundary.
    public var isEpochEnd: Bool { step > 0 && stepInEpoch == 0 }

    var metadata: [String: String] {
        var m: [String: String] = [
            "step": String(step), "steps_per_epoch": String(stepsPerEpoch), "epoch": String(epoch),
            "step_in_epoch": String(stepInEpoch), "adam_step": String(adamStep), "seed": String(seed),
            "world_size": String(worldSize), "config": configuration,
        ]
        for (k, v) in progress { m["progress.\(k)"] = v }
        return m
    }

    struct Problem: Error { var detail: String }

    /// Largest step (and Adam step) a checkpoint may record: 2^40, beyond any real run and far
    /// from overflowing the step arithmetic.
    public static let maximumStep = 1 << 40
    /// Largest number of steps per epoch: 2^32.
    public static let maximumStepsPerEpoch = 1 << 32
    /// Largest world size: 4096 replicas.
    public static let maximumWorldSize = 4096

    init(metadata m: [String: String]) throws(Problem) {
        func integer(_ key: String, _ range: ClosedRange<Int>) throws(Problem) -> Int {
            guard let text = m[key], let value = Int(text), range.contains(value) else {
                throw Problem(detail: "metadata '\(key)' is \(m[key].map { "'\($0)'" } ?? "missing"), expected an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        step = try integer("step", 0...Self.maximumStep)
        stepsPerEpoch = try integer("steps_per_epoch", 1...Self.maximumStepsPerEpoch)
        // Adam counts the updates since it started: never more than the steps (a warm start resets it).
        adamStep = try integer("adam_step", 0...step)
        worldSize = try integer("world_size", 1...Self.maximumWorldSize)
        guard let seedText = m["seed"], let seed = UInt64(seedText) else { throw Problem(detail: "metadata 'seed' is missing or not an integer") }
        self.seed = seed
        configuration = m["config"] ?? ""
        var progress: [String: String] = [:]
        for (k, v) in m where k.hasPrefix("progress.") { progress[String(k.dropFirst("progress.".count))] = v }
        self.progress = progress
    }
}

public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file is not a complete, intact checkpoint.
    case damaged(String, String)
    /// The checkpoint is intact but belongs to another model or run.
    case mismatch(String)
    /// No intact checkpoint in the folder.
    case noneUsable(String, [String])

    public var description: String {
        switch self {
        case .damaged(let source, let detail): "\(source): damaged checkpoint: \(detail)"
        case .mismatch(let detail): detail
        case .noneUsable(let folder, let problems):
            problems.isEmpty ? "\(folder): no checkpoints"
                : "\(folder): no intact checkpoint:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        }
    }
}

