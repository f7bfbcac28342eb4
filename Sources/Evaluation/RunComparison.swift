import Foundation

/// Reports of several runs side by side: the paper's "all algorithms performance" table.
///
/// Columns: accuracy, precision, recall, F-score (macro means over REAL and FAKE) and ROC AUC,
/// in percent with 3 decimals; the best value of each column is in bold.
public struct RunComparison: Sendable, Equatable {
    /// One configuration's name (e.g. "CNN2D D=128") and its report.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var report: ClassificationReport

        public init(name: String, report: ClassificationReport) {
            self.name = name
            self.report = report
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

    /// A GitHub-flavoured markdown table. A missing ROC AUC shows as "n/a". Names are escaped
    /// so a `|` in a name does not split the row.
    public func markdown() -> String {
        let header = ["Configuration", "Accuracy (%)", "Precision (%)", "Recall (%)", "F-score (%)", "ROC AUC (%)"]
        let columns = header.count - 1
        let rows = entries.map { Self.values(of: $0.report) }
        // Best per column compared on the printed value, so ties in print are all bold.
        var best = [String?](repeating: nil, count: columns)
        for c in 0..<columns {
            let printed = rows.compactMap { $0[c].map(Self.percent) }
            best[c] = printed.max { Double($0)! < Double($1)! }
        }
        var lines = ["| " + header.joined(separator: " | ") + " |",
                     "|" + ([":--"] + Array(repeating: "--:", count: columns)).joined(separator: "|") + "|"]
        for (entry, values) in zip(entries, rows) {
            var cells = [entry.name.replacingOccurrences(of: "|", with: "\\|")]
            for (c, value) in values.enumerated() {
                guard let value else { cells.append("n/a"); continue }
                let text = Self.percent(value)
                cells.append(entries.count > 1 && text == best[c] ? "**\(text)**" : text)
            }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A fraction as percent with 3 decimals: 0.94985 -> "94.985".
    static func percent(_ fraction: Double) -> String {
        String(format: "%.3f", fraction * 100)
    }
}
