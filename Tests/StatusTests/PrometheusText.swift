import Foundation

/// A strict reader of Prometheus's text exposition format 0.0.4, for tests: every line is a
/// `# HELP`, a `# TYPE` or a sample; metric and label names are valid; label values are quoted
/// with only `\\`, `\"` and `\n` escaped; each family is described once, HELP then TYPE, before its
/// samples, and its samples are contiguous; values are Go floats. Histograms: `_bucket` series with
/// an `le` label, counts never decreasing and the last bucket `+Inf`; `_count` equal to the `+Inf`
/// bucket; a `_sum`. Counters are never negative. Anything else throws, naming the line.
struct PrometheusText {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Family {
        var name: String
        var help: String
        var type: String
        var samples: [Sample] = []
    }

    struct Problem: Error, CustomStringConvertible {
        var line: Int
        var text: String
        var why: String
        var description: String { "line \(line) '\(text)': \(why)" }
    }

    private(set) var families: [String: Family] = [:]
    private(set) var order: [String] = []

    static let types: Set = ["counter", "gauge", "histogram", "summary", "untyped"]

    init(_ text: String) throws {
        guard text.isEmpty || text.hasSuffix("\n") else { throw Problem(line: 0, text: "", why: "does not end with a line feed") }
        var current: String?
        var described: String?
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let line = String(raw)
            func fail(_ why: String) -> Problem { Problem(line: i + 1, text: line, why: why) }
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = String(rest.prefix { $0 != " " })
                guard Self.isMetricName(name) else { throw fail("bad metric name '\(name)'") }
                guard families[name] == nil, described == nil else { throw fail("second HELP, or HELP without TYPE before") }
                let help = rest.dropFirst(name.count).drop { $0 == " " }
                guard !Self.hasBadEscape(help, allowQuote: true) else { throw fail("HELP escapes only \\\\ and \\n") }
                described = name
                families[name] = Family(name: name, help: String(help), type: "")
                order.append(name)
                current = nil
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, let name = described, parts[2] == name else { throw fail("TYPE must follow its HELP") }
                guard Self.types.contains(String(parts[3])) else { throw fail("unknown type '\(parts[3])'") }
                families[name]!.type = String(parts[3])
                described = nil
                current = name
            } else if line.hasPrefix("#") || line.isEmpty {
                throw fail("a comment other than HELP or TYPE, or an empty line")
            } else {
                guard let family = current else { throw fail("sample before any HELP and TYPE") }
                let sample = try Self.sample(line, fail: fail)
                let allowed = families[family]!.type == "histogram"
                    ? [family + "_bucket", family + "_sum", family + "_count"] : [family]
                guard allowed.contains(sample.name) else { throw fail("sample '\(sample.name)' is not of family \(family)") }
                if families[family]!.type == "counter", sample.value < 0 { throw fail("a negative counter") }
                families[family]!.samples.append(sample)
            }
        }
        guard described == nil else { throw Problem(line: 0, text: described!, why: "HELP without TYPE") }
        for family in families.values where family.type == "histogram" {
            try Self.checkHistogram(family)
        }
    }

    /// The families of `type`.
    func names(ofType type: String) -> [String] { order.filter { families[$0]!.type == type } }

    func value(_ name: String, labels: [String: String] = [:]) -> Double? {
        families.values.lazy.flatMap(\.samples).first { $0.name == name && $0.labels == labels }?.value
    }

    static func isMetricName(_ s: String) -> Bool {
        s.range(of: "^[a-zA-Z_:][a-zA-Z0-9_:]*$", options: .regularExpression) != nil
    }

    static func isLabelName(_ s: String) -> Bool {
        s.range(of: "^[a-zA-Z_][a-zA-Z0-9_]*$", options: .regularExpression) != nil && !s.hasPrefix("__")
    }

    static func hasBadEscape(_ s: Substring, allowQuote: Bool) -> Bool {
        var escaped = false
        for c in s {
            if escaped {
                guard c == "\\" || c == "n" || (allowQuote && c == "\"") else { return true }
                escaped = false
            } else if c == "\\" {
                escaped = true
            }
        }
        return escaped
    }

    /// `name{label="value",...} value`, strictly.
    static func sample(_ line: String, fail: (String) -> Problem) throws -> Sample {
        var rest = Substring(line)
        let name = String(rest.prefix { $0 != "{" && $0 != " " })
        guard isMetricName(name) else { throw fail("bad metric name '\(name)'") }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let label = String(rest.prefix { $0 != "=" })
                guard isLabelName(label) else { throw fail("bad label name '\(label)'") }
                rest = rest.dropFirst(label.count)
                guard rest.hasPrefix("=\"") else { throw fail("label \(label) without =\"") }
                rest = rest.dropFirst(2)
                var value = ""
                while true {
                    guard let c = rest.first else { throw fail("unterminated label value") }
                    rest = rest.dropFirst()
                    if c == "\"" { break }
                    if c == "\n" { throw fail("raw line feed in a label value") }
                    if c == "\\" {
                        guard let e = rest.first else { throw fail("escape at the end") }
                        rest = rest.dropFirst()
                        switch e {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw fail("bad escape \\\(e) in a label value")
                        }
                    } else {
                        value.append(c)
                    }
                }
                guard labels.updateValue(value, forKey: label) == nil else { throw fail("label \(label) twice") }
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { throw fail("expected , or } after a label") }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw fail("expected one space before the value") }
        let fields = rest.dropFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard (1...2).contains(fields.count), let value = goFloat(String(fields[0])) else { throw fail("bad value '\(rest.dropFirst())'") }
        if fields.count == 2, Int64(fields[1]) == nil { throw fail("bad timestamp '\(fields[1])'") }
        return Sample(name: name, labels: labels, value: value)
    }

    static func goFloat(_ s: String) -> Double? {
        switch s {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard s.range(of: "^[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?$", options: .regularExpression) != nil else { return nil }
            return Double(s)
        }
    }

    static func checkHistogram(_ family: Family) throws {
        func fail(_ why: String) -> Problem { Problem(line: 0, text: family.name, why: why) }
        // Series by their labels other than `le`.
        struct Series {
            var buckets: [(bound: Double, count: Double)] = []
            var sum: Double?
            var count: Double?
        }
        var series: [[String: String]: Series] = [:]
        for s in family.samples {
            var key = s.labels
            if s.name.hasSuffix("_bucket") {
                guard let le = key.removeValue(forKey: "le"), let bound = goFloat(le) else { throw fail("a bucket without a numeric le") }
                series[key, default: Series()].buckets.append((bound: bound, count: s.value))
            } else if s.name.hasSuffix("_sum") {
                series[key, default: Series()].sum = s.value
            } else {
                series[key, default: Series()].count = s.value
            }
        }
        guard !series.isEmpty else { throw fail("no samples") }
        for (labels, s) in series {
            guard let last = s.buckets.last, last.bound == .infinity else { throw fail("\(labels): the last bucket is not +Inf") }
            for (a, b) in zip(s.buckets, s.buckets.dropFirst()) {
                guard a.bound < b.bound else { throw fail("\(labels): bounds not increasing (\(a.bound), \(b.bound))") }
                guard a.count <= b.count else { throw fail("\(labels): counts decrease (\(a.count) then \(b.count))") }
            }
            guard s.sum != nil else { throw fail("\(labels): no _sum") }
            guard s.count == last.count else {
                throw fail("\(labels): _count \(s.count.map { String($0) } ?? "missing") is not the +Inf bucket \(last.count)")
            }
        }
    }
}
