import Foundation
import Storage

/// One setting given as text by a layer above the file: an environment variable or a flag.
public struct ConfigOverride: Sendable, Equatable {
    /// The configuration key (snake_case), e.g. `batch_size`.
    public var key: String
    /// The value as the operator wrote it, e.g. `256`.
    public var text: String
    /// Where it came from, for messages: `CIFAKE_BATCH_SIZE` or `--batch`.
    public var origin: String

    public init(key: String, text: String, origin: String) {
        self.key = key
        self.text = text
        self.origin = origin
    }

    /// A command-line flag's value (already typed by the parser; written back as text so that
    /// every layer is checked and reported the same way).
    public static func flag<T: CustomStringConvertible>(_ name: String, _ key: String, _ value: T?) -> ConfigOverride? {
        value.map { ConfigOverride(key: key, text: $0.description, origin: name) }
    }
}

/// A run's settings in layers, each replacing the one before: defaults < YAML file <
/// environment (`CIFAKE_<KEY>`, e.g. `CIFAKE_BATCH_SIZE=256` for `batch_size`) < command-line
/// flags. Every problem of every layer is listed at once, each naming the file key, variable or
/// flag it came from; values are range-checked only after the last layer.
public enum ConfigLayers {
    public static let environmentPrefix = "CIFAKE_"

    /// Variables with the prefix that are not configuration keys but are read elsewhere: by the
    /// commands (scheduler and process settings) and by Deploy/slurm/cifake.sbatch. Others are
    /// reported as probable typos.
    public static let otherVariables: Set<String> = [
        "CIFAKE_COORDINATOR", "CIFAKE_WORKERS", "CIFAKE_RANK", "CIFAKE_CONFIG", "CIFAKE_LISTEN",
        "CIFAKE_STATUS_LISTEN", "CIFAKE_CACHE", "CIFAKE_JOB",
        "CIFAKE_BIN", "CIFAKE_PORT", "CIFAKE_LOG_DIR",
    ]

    /// `CIFAKE_BATCH_SIZE` for `batch_size`.
    public static func environmentVariable(for key: String) -> String {
        environmentPrefix + key.uppercased()
    }

    /// The overrides the environment sets (an empty value counts as unset), in key order, and
    /// the names of `CIFAKE_` variables that match no key nor ``otherVariables``.
    public static func environmentOverrides(_ environment: [String: String]) -> (overrides: [ConfigOverride], unknown: [String]) {
        var overrides: [ConfigOverride] = []
        for key in TrainingConfig.keys {
            let name = environmentVariable(for: key)
            if let text = environment[name], !text.isEmpty {
                overrides.append(ConfigOverride(key: key, text: text, origin: name))
            }
        }
        let known = Set(TrainingConfig.keys.map(environmentVariable)).union(otherVariables)
        let unknown = environment.keys.filter { $0.hasPrefix(environmentPrefix) && !known.contains($0) }.sorted()
        return (overrides, unknown)
    }

    /// Applies `overrides` in order; returns one problem per value that is not of its key's type
    /// (or names no key), naming its origin.
    public static func apply(_ overrides: [ConfigOverride], to config: inout TrainingConfig) -> [String] {
        var problems: [String] = []
        for o in overrides {
            guard TrainingConfig.keys.contains(o.key) else {
                problems.append("\(o.origin): '\(o.key)' is not a configuration key")
                continue
            }
            guard let json = jsonLiteral(o.text, for: o.key),
                  let single = try? JSONDecoder().decode(TrainingConfig.self, from: Data("{\"\(o.key)\":\(json)}".utf8)) else {
                problems.append("\(o.origin): found '\(o.text)', expected \(article(TrainingConfig.typeName(of: o.key))) (for \(o.key))")
                continue
            }
            config.take(o.key, from: single)
        }
        return problems
    }

    /// Reads the file (if any), applies the environment's and then the flags' overrides, and
    /// checks the result.
    ///
    /// - Returns: the settings and warnings (unknown `CIFAKE_` variables) for the log.
    /// - Throws: ``ConfigError/invalid(source:problems:)`` listing every problem of every layer.
    public static func resolve(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                               flags: [ConfigOverride?] = []) throws(ConfigError) -> (config: TrainingConfig, warnings: [String]) {
        var config = TrainingConfig()
        var problems: [String] = []
        if let file {
            (config, problems) = try ConfigFile.read(ConfigFile.text(ofFile: file), source: file)
        }
        let (fromEnvironment, unknown) = environmentOverrides(environment)
        let fromFlags = flags.compactMap { $0 }
        problems += apply(fromEnvironment, to: &config)
        problems += apply(fromFlags, to: &config)
        // The last layer that set a key is the one a range problem names.
        var origin: [String: String] = [:]
        for o in fromEnvironment + fromFlags { origin[o.key] = o.origin }
        for p in config.problems() {
            let key = String(p.prefix { $0 != ":" })
            problems.append(origin[key].map { "\(p) (set by \($0))" } ?? p)
        }
        guard problems.isEmpty else {
            let layers = [file].compactMap { $0 } + (fromEnvironment.isEmpty ? [] : ["environment"]) + (fromFlags.isEmpty ? [] : ["command line"])
            let onlyFile = fromEnvironment.isEmpty && fromFlags.isEmpty
            throw .invalid(source: onlyFile ? file ?? "configuration" : "configuration (\(layers.joined(separator: " < ")))",
                           problems: problems)
        }
        let warnings = unknown.map { "\($0) is set but is neither a configuration key's variable nor one cifake reads; ignored" }
        return (config, warnings)
    }

    static func article(_ typeName: String) -> String {
        (typeName.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + typeName
    }

    /// The value as a JSON literal of the key's type, or nil when it is not of that type.
    static func jsonLiteral(_ text: String, for key: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch TrainingConfig.typeName(of: key) {
        case "string":
            guard let data = try? JSONEncoder().encode([text]) else { return nil }
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        case "number":
            guard let v = Double(t), v.isFinite else { return nil }
            return "\(v)"
        case "integer":
            if key == "seed" { return UInt64(t).map { "\($0)" } }
            return Int(t).map { "\($0)" }
        default:  // boolean
            switch t.lowercased() {
            case "true", "yes", "on", "1": return "true"
            case "false", "no", "off", "0": return "false"
            default: return nil
            }
        }
    }
}
