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
        // Type problems, one per key, by decoding each key on its own; then the well-typed keys
        // together, for the impossible values.
        var wellTyped: [(Node, Node)] = []
        for (key, value) in mapping {
            guard let name = key.string, known.contains(name) else { continue }
            do {
                let text = try Yams.serialize(node: Node.mapping(Node.Mapping([(key, value)])))
                _ = try YAMLDecoder().decode(TrainingConfig.self, from: text)
                wellTyped.append((key, value))
            } catch {
                problems.append("\(name): found '\(value.string ?? "\(value)")', which is not a valid \(TrainingConfig.typeName(of: name))")
            }
        }
        let config: TrainingConfig
        do {
            config = try YAMLDecoder().decode(TrainingConfig.self, from: Yams.serialize(node: Node.mapping(Node.Mapping(wellTyped))))
        } catch {
            throw .unreadable(source: source, detail: "\(error)")
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
        case "model", "schedule", "data", "test_data", "out", "bad_files", "wrong_size", "best_metric": "string"
        case "learning_rate", "warmup_epochs", "min_learning_rate_fraction", "validation_fraction": "number"
        case "augment_flip": "boolean (true/false)"
        default: "integer"
        }
    }
}
