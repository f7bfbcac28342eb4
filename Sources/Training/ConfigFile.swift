import Foundation
import Storage
import Yams

/// Reading and writing `TrainingConfig` as YAML. Unknown keys and values of the wrong type are
/// refused with every problem listed, naming the file and the key.
///
/// The YAML comes from outside, so it is bounded before it is interpreted: at most
/// `maximumBytes` with at most `maximumBrackets` flow brackets, nested at most `maximumDepth`
/// deep, and at most `maximumNodes` nodes once aliases are expanded (a "billion laughs" of aliases is refused in microseconds).
public enum ConfigFile {
    /// Largest configuration accepted: 64 KiB (ours are about 2 KiB).
    public static let maximumBytes = 64 << 10
    /// Deepest nesting accepted (a configuration is one flat mapping: depth 2).
    public static let maximumDepth = 16
    /// Most `[` and `{` accepted, quoted or not (a configuration has none).
    public static let maximumBrackets = 256
    /// Most nodes accepted, aliases expanded (a configuration has about 80).
    public static let maximumNodes = 10_000

    public static func load(_ path: String) throws(ConfigError) -> TrainingConfig {
        try parse(text(ofFile: path), source: path)
    }

    /// A configuration file's text, refused when it is not a regular file or is too large.
    static func text(ofFile path: String) throws(ConfigError) -> String {
        let bytes: [UInt8]
        do { bytes = try AtomicFile.read(path, maximumBytes: maximumBytes) } catch { throw .unreadable(source: path, detail: error.description) }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func parse(_ text: String, source: String) throws(ConfigError) -> TrainingConfig {
        let (config, problems) = try read(text, source: source)
        let all = problems + config.problems()
        guard all.isEmpty else { throw .invalid(source: source, problems: all) }
        return config
    }

    /// The file's settings and its unknown-key and type problems, without checking the values
    /// themselves: a later layer (environment, flags) may still replace them.
    static func read(_ text: String, source: String) throws(ConfigError) -> (config: TrainingConfig, problems: [String]) {
        guard text.utf8.count <= maximumBytes else {
            throw .unreadable(source: source, detail: "the configuration is \(text.utf8.count) bytes, expected at most \(maximumBytes)")
        }
        // Composing recurses once per nesting level, so deep flow nesting is refused before it;
        // counting every bracket (quoted or not) bounds the depth without parsing the YAML.
        let brackets = text.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "[") || $1 == UInt8(ascii: "{") ? 1 : 0) }
        guard brackets <= maximumBrackets else {
            throw .unreadable(source: source, detail: "\(brackets) opening brackets, expected at most \(maximumBrackets) (a configuration is a flat mapping)")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw .unreadable(source: source, detail: "not valid YAML: \(error)") }
        guard let node else { return (TrainingConfig(), []) }
        var budget = maximumNodes
        guard fitsBudget(node, &budget, depth: 0) else {
            throw .unreadable(source: source, detail: "the YAML expands to more than \(maximumNodes) nodes or nests more than \(maximumDepth) deep "
                              + "(aliases of aliases?); a configuration is a flat mapping of keys to values")
        }
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
                let found = value.scalar.map { "'\($0.string.prefix(80))'" } ?? (value.mapping != nil ? "a mapping" : "a sequence")
                problems.append("\(name): found \(found), which is not a valid \(TrainingConfig.typeName(of: name))")
            }
        }
        let config: TrainingConfig
        do {
            config = try YAMLDecoder().decode(TrainingConfig.self, from: Yams.serialize(node: Node.mapping(Node.Mapping(wellTyped))))
        } catch {
            throw .unreadable(source: source, detail: "\(error)")
        }
        return (config, problems)
    }

    /// Whether `node`, aliases expanded, has at most `budget` nodes and `maximumDepth` levels;
    /// stops counting as soon as it has not (so an alias bomb costs only `budget` steps).
    private static func fitsBudget(_ node: Node, _ budget: inout Int, depth: Int) -> Bool {
        budget -= 1
        guard budget >= 0, depth <= maximumDepth else { return false }
        if let mapping = node.mapping {
            for (key, value) in mapping {
                guard fitsBudget(key, &budget, depth: depth + 1), fitsBudget(value, &budget, depth: depth + 1) else { return false }
            }
        } else if let sequence = node.sequence {
            for item in sequence { guard fitsBudget(item, &budget, depth: depth + 1) else { return false } }
        }
        return true
    }

    public static func yaml(_ config: TrainingConfig) -> String {
        (try? YAMLEncoder().encode(config)) ?? ""
    }
}

extension TrainingConfig {
    static func typeName(of key: String) -> String {
        switch key {
        case "model", "schedule", "data", "test_data", "out", "bad_files", "wrong_size", "transport_security",
             "coordinator_public_key", "coordinator_secret_key", "worker_public_key", "worker_secret_key", "authorized_keys", "best_metric",
             "registry", "promotion_metric", "evaluation_data", "gradient_compression", "explain_method", "explain_target",
             "explain_scale", "resume": "string"
        case "learning_rate", "warmup_epochs", "min_learning_rate_fraction", "validation_fraction", "promotion_margin", "stop_grace_seconds",
             "dropout": "number"
        case "augment_flip": "boolean (true/false)"
        default: "integer"
        }
    }

    /// Copies one key's value from `other` (through the keys' JSON form, so every key works).
    public mutating func take(_ key: String, from other: TrainingConfig) {
        guard let mine = try? JSONSerialization.jsonObject(with: JSONEncoder().encode(self)) as? [String: Any],
              let theirs = try? JSONSerialization.jsonObject(with: JSONEncoder().encode(other)) as? [String: Any] else { return }
        var merged = mine
        merged[key] = theirs[key]
        if let data = try? JSONSerialization.data(withJSONObject: merged),
           let config = try? JSONDecoder().decode(TrainingConfig.self, from: data) {
            self = config
        }
    }
}
