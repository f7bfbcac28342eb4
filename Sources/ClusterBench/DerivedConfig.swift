import Foundation

/// A benchmark's configuration file, made from the user's as text: the user's keys kept (even
/// ones this build does not know, such as a newer `gradient_compression`, for the coordinator's
/// parser to accept or refuse), the benchmark's own settings replacing any earlier value.
public enum DerivedConfig {
    /// `base` without the top-level keys in `overrides` (and their indented continuation lines),
    /// then the overrides, one `key: value` a line, in order.
    public static func yaml(base: String, overrides: [(key: String, value: String)]) -> String {
        let replaced = Set(overrides.map(\.key))
        var kept: [Substring] = []
        var dropping = false
        for line in base.split(separator: "\n", omittingEmptySubsequences: false) {
            let isContinuation = line.first == " " || line.first == "\t" || line.hasPrefix("- ")
            if isContinuation && dropping { continue }
            dropping = topLevelKey(line).map(replaced.contains) ?? false
            if !dropping { kept.append(line) }
        }
        while kept.last?.isEmpty == true { kept.removeLast() }
        let added = overrides.map { "\($0.key): \(scalar($0.value))" }
        return (kept.map(String.init) + ["# set by cifake bench cluster"] + added).joined(separator: "\n") + "\n"
    }

    /// The plain scalar value of top-level `key` in `text` (quotes and a trailing comment removed);
    /// nil when absent.
    public static func value(of key: String, in text: String) -> String? {
        for line in text.split(separator: "\n") where topLevelKey(line) == key {
            var value = line.drop { $0 != ":" }.dropFirst()
            if let hash = value.range(of: " #") { value = value[..<hash.lowerBound] }
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            if trimmed.count >= 2, let q = trimmed.first, q == "\"" || q == "'", trimmed.last == q {
                return String(trimmed.dropFirst().dropLast())
            }
            return trimmed
        }
        return nil
    }

    private static func topLevelKey(_ line: Substring) -> String? {
        guard let first = line.first, first.isLetter || first == "_", let colon = line.firstIndex(of: ":") else { return nil }
        let key = line[..<colon]
        guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        return String(key)
    }

    /// `value` as a YAML scalar: plain when that reads back as the same string, else double-quoted.
    static func scalar(_ value: String) -> String {
        let plain = !value.isEmpty && value.allSatisfy { $0.isLetter || $0.isNumber || "._/-+".contains($0) }
            && !value.hasPrefix("-")
        if plain { return value }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
