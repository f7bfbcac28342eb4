import Storage
import Yams

/// Reading and writing `TrainingConfig` as YAML. Unknown keys and values of the wrong type are
/// refused with every problem listed, naming the file and the key.
public enum ConfigFile {
    public static func load(_ path: String) throws(ConfigError) -> TrainingConfig {
        let bytes: [UInt8]
        do { bytes = try AtomicFile.read(path) } catch { throw .unreadable(source: path, detail: error.description) }
        return try parse(String(decoding: bytes, as: UTF8.self), source: path)
    }

    public static func parse(_ text: String, source: String) throws(ConfigError) -> TrainingConfig {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw .unreadable(source: source, detail: "not valid YAML: \(error)") }
        guard let node else { return TrainingConfig() }
        guard let mapping = node.mapping else {
            throw .invalid(source: source, problems: ["the top level must be a mapping of keys to values"])
        }
        var problems: [String] = []
        let known = Set(TrainingConfig.keys)
        for key in mapping.keys {
            guard let name = key.string else { problems.append("a key is not a string"); continue }
            if !known.contains(name) {
                problems.append("\(name): unknown key (known keys: \(TrainingConfig.keys.joined(separator: ", ")))")
            }
        }
        // Type problems, one per key, by decoding each key on its own.
        var config = TrainingConfig()
        for (key, value) in mapping {
            guard let name = key.string, known.contains(name) else { continue }
            do {
                let text = try Yams.serialize(node: Node.mapping(Node.Mapping([(key, value)])))
                let single = try YAMLDecoder().decode(TrainingConfig.self, from: text)
                config.take(name, from: single)
            } catch {
                problems.append("\(name): found '\(value.string ?? "\(value)")', which is not a valid \(TrainingConfig.typeName(of: name))")
            }
        }
        problems += config.problems()
        guard problems.isEmpty else { throw .invalid(source: source, problems: problems) }
        return config
    }

    public static func yaml(_ config: TrainingConfig) -> String {
        (try? YAMLEncoder().encode(config)) ?? ""
    }
}

extension TrainingConfig {
    static func typeName(of key: String) -> String {
        switch key {
        case "model", "schedule", "data", "test_data", "out", "bad_files", "wrong_size", "transport_security",
             "coordinator_public_key", "coordinator_secret_key", "worker_public_key", "worker_secret_key", "authorized_keys": "string"
        case "learning_rate", "warmup_epochs", "min_learning_rate_fraction", "validation_fraction": "number"
        case "augment_flip": "boolean (true/false)"
        default: "integer"
        }
    }

    /// Copies one key's value from `other`.
    mutating func take(_ key: String, from o: TrainingConfig) {
        switch key {
        case "model": model = o.model
        case "dense": dense = o.dense
        case "epochs": epochs = o.epochs
        case "batch_size": batchSize = o.batchSize
        case "learning_rate": learningRate = o.learningRate
        case "schedule": schedule = o.schedule
        case "warmup_epochs": warmupEpochs = o.warmupEpochs
        case "min_learning_rate_fraction": minLearningRateFraction = o.minLearningRateFraction
        case "seed": seed = o.seed
        case "threads": threads = o.threads
        case "validation_fraction": validationFraction = o.validationFraction
        case "augment_flip": augmentFlip = o.augmentFlip
        case "augment_shift": augmentShift = o.augmentShift
        case "early_stopping_patience": earlyStoppingPatience = o.earlyStoppingPatience
        case "data": data = o.data
        case "test_data": testData = o.testData
        case "out": out = o.out
        case "bad_files": badFiles = o.badFiles
        case "wrong_size": wrongSize = o.wrongSize
        case "transport_security": transportSecurity = o.transportSecurity
        case "coordinator_public_key": coordinatorPublicKey = o.coordinatorPublicKey
        case "coordinator_secret_key": coordinatorSecretKey = o.coordinatorSecretKey
        case "worker_public_key": workerPublicKey = o.workerPublicKey
        case "worker_secret_key": workerSecretKey = o.workerSecretKey
        case "authorized_keys": authorizedKeys = o.authorizedKeys
        default: break
        }
    }
}
