import Foundation

/// Reports of several runs side by side: the paper's "all algorithms performance" table.
///
/// Columns: the run (when named), the configuration, accuracy, precision, recall, F-score
/// (macro means over REAL and FAKE) and ROC AUC in percent with 3 decimals (the best value of
/// each column in bold), and the epochs trained (when known).
public struct RunComparison: Sendable, Equatable {
    /// One configuration's name (e.g. "CNN2D D=128") and its report.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var report: ClassificationReport
        /// The run folder's name, e.g. "cnn2d-d32-20250101-120000".
        public var run: String?
        /// Epochs trained.
        public var epochs: Int?

        public init(name: String, report: ClassificationReport, run: String? = nil, epochs: Int? = nil) {
            self.name = name
            self.report = report
            self.run = run
            self.epochs = epochs
        }
    }

    /// One row as JSON: fractions (not percent), `roc_auc` and `epochs` null when unknown.
    public struct Row: Codable, Sendable, Equatable {
        public var run: String?
        public var configuration: String
        public var accuracy: Double
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var rocAUC: Double?
        public var epochs: Int?
        public var samples: Int

        enum CodingKeys: String, CodingKey {
            case run, configuration, accuracy, precision, recall, f1
            case rocAUC = "roc_auc"
            case epochs, samples
        }

        /// Writes every key, unknown ones as null (the synthesized encoder would leave them out).
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(run, forKey: .run)
            try c.encode(configuration, forKey: .configuration)
            try c.encode(accuracy, forKey: .accuracy)
            try c.encode(precision, forKey: .precision)
            try c.encode(recall, forKey: .recall)
            try c.encode(f1, forKey: .f1)
            try c.encode(rocAUC, forKey: .rocAUC)
            try c.encode(epochs, forKey: .epochs)
            try c.encode(samples, forKey: .samples)
        }
    }

    /// Rows, in the order given.
    public var entries: [Entry]

    public init(_ entries: [Entry]) {
        self.entries = entries
    }

    /// Convenience: rows from (name, report) pairs, in the order given.
    public init(_ pairs: [(String, ClassificationReport)]) {
        self.entries = pairs.map { Entry(name: $0.0, report: $0.1) }
    }

    /// The five values of a row as fractions; nil where a run has no ROC AUC.
    public static func values(of report: ClassificationReport) -> [Double?] {
        [report.accuracy, report.precision, report.recall, report.f1, report.rocAUC]
    }

    /// The rows, in order, for JSON.
    public var rows: [Row] {
        entries.map { e in
            Row(run: e.run, configuration: e.name, accuracy: e.report.accuracy, precision: e.report.precision,
                recall: e.report.recall, f1: e.report.f1, rocAUC: e.report.rocAUC, epochs: e.epochs, samples: e.report.samples)
        }
    }

    /// `{"runs": [Row...]}`, pretty-printed with sorted keys, ending in a newline.
    public func json() -> String {
        struct Document: Encodable { var runs: [Row] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Rows hold only finite numbers, strings and integers, which always encode.
        let data = (try? encoder.encode(Document(runs: rows))) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A GitHub-flavoured markdown table. A missing ROC AUC shows as "n/a". Names are escaped
    /// so a `|` in a name does not split the row. The "Run" and "Epochs" columns appear only
    /// when some entry has them.
    public func markdown() -> String {
        let withRun = entries.contains { $0.run != nil }
        let withEpochs = entries.contains { $0.epochs != nil }
        var header: [String] = withRun ? ["Run"] : []
        header += ["Configuration", "Accuracy (%)", "Precision (%)", "Recall (%)", "F-score (%)", "ROC AUC (%)"]
        if withEpochs { header.append("Epochs") }
        let columns = 5
        let table = entries.map { Self.values(of: $0.report) }
        // Best per column compared on the printed value, so ties in print are all bold.
        var best = [String?](repeating: nil, count: columns)
        for c in 0..<columns {
            let printed = table.compactMap { $0[c].map(Self.percent) }
            best[c] = printed.max { Double($0)! < Double($1)! }
        }
        func escaped(_ text: String) -> String {
            text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var alignments: [String] = withRun ? [":--", ":--"] : [":--"]
        alignments += Array(repeating: "--:", count: columns)
        if withEpochs { alignments.append("--:") }
        var lines = ["| " + header.joined(separator: " | ") + " |", "|" + alignments.joined(separator: "|") + "|"]
        for (entry, values) in zip(entries, table) {
            var cells: [String] = withRun ? [escaped(entry.run ?? "")] : []
            cells.append(escaped(entry.name))
            for (c, value) in values.enumerated() {
                guard let value else { cells.append("n/a"); continue }
                let text = Self.percent(value)
                cells.append(entries.count > 1 && text == best[c] ? "**\(text)**" : text)
            }
            if withEpochs { cells.append(entry.epochs.map(String.init) ?? "n/a") }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A fraction as percent with 3 decimals: 0.94985 -> "94.985".
    static func percent(_ fraction: Double) -> String {
        String(format: "%.3f", fraction * 100)
    }
}
