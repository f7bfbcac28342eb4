import Evaluation
import Foundation

/// Several runs on one page (`cifake compare --html`): their curves on shared axes, one colour
/// per run, and their test metrics side by side, with a warning when they were not tested on
/// the same images. Pure: no files.
public enum ComparisonPage {
    /// One run, as its folder holds it.
    public struct Run: Sendable {
        /// The run folder's name.
        public var name: String
        /// The run folder as given; names runs whose folders share a name.
        public var path: String?
        /// e.g. "CNN2D D=32".
        public var configuration: String
        public var metrics: ClassificationReport
        public var curves: TrainingCurves
        public var steps: StepCurves
        /// The test split's digest from metrics.json; nil for runs that predate it.
        public var testDigest: String?
        public var epochs: Int?

        public init(name: String, configuration: String, metrics: ClassificationReport, curves: TrainingCurves = TrainingCurves(),
                    steps: StepCurves = StepCurves(), testDigest: String? = nil, epochs: Int? = nil, path: String? = nil) {
            self.name = name; self.path = path; self.configuration = configuration; self.metrics = metrics; self.curves = curves
            self.steps = steps; self.testDigest = testDigest; self.epochs = epochs
        }
    }

    /// Ids of the page's figures, when every kind of curve is recorded.
    public static let figureIds = ["compare-step-loss", "compare-step-accuracy", "compare-validation-accuracy", "compare-validation-loss",
                                   "compare-roc"]

    /// Why the metrics may not be comparable, or nil when every run was tested on the same images.
    public static func testSetWarning(_ runs: [Run]) -> String? {
        let digests = Set(runs.compactMap(\.testDigest))
        let unknown = runs.filter { $0.testDigest == nil }.map(\.name)
        if digests.count > 1 {
            return "The runs were tested on different test sets (test digests "
                + runs.map { "\($0.name): \($0.testDigest ?? "unknown")" }.joined(separator: ", ")
                + "): their test metrics are not comparable."
        }
        if Set(runs.map(\.metrics.samples)).count > 1 {
            return "The runs were tested on different numbers of images ("
                + runs.map { "\($0.name): \($0.metrics.samples)" }.joined(separator: ", ") + "): their test metrics are not comparable."
        }
        if !unknown.isEmpty && runs.count > 1 {
            return "Cannot tell whether the runs share a test set: no test digest recorded for " + unknown.joined(separator: ", ")
                + " (metrics.json from an older cifake)."
        }
        return nil
    }

    public static func build(_ runs: [Run], title: String = "Comparing runs") -> String {
        var runs = runs
        // Folders of the same name (runs/a/run, runs/b/run) by their path instead.
        if Set(runs.map(\.name)).count < runs.count, runs.allSatisfy({ $0.path != nil }) {
            for i in runs.indices { runs[i].name = runs[i].path! }
        }
        func color(_ i: Int) -> String { SVG.palette[i % SVG.palette.count] }
        var body = "<header>\n<h1>\(HTML.escape(title))</h1>\n<p class=\"sub\">\(runs.count) runs: "
            + runs.map { "<code>\(HTML.escape($0.name))</code>" }.joined(separator: ", ") + "</p>\n</header>\n"
        if let warning = testSetWarning(runs) { body += "<p id=\"test-set-warning\" class=\"warning\">\(HTML.escape(warning))</p>\n" }

        body += "<section id=\"metrics\">\n<h2>Test metrics</h2>\n" + table(runs) + "</section>\n"

        var charts: [Plot] = []
        let withSteps = runs.enumerated().filter { !$0.element.steps.isEmpty }
        if !withSteps.isEmpty {
            func stepPlot(_ id: String, _ title: String, _ yLabel: String, _ values: KeyPath<StepCurves, [Double]>) -> Plot {
                var p = Plot(id: id, title: title, xLabel: "step", yLabel: yLabel)
                for (i, run) in withSteps {
                    let keep = ReportCharts.drawn(run.steps.steps.count)
                    let x = keep.map { Double(run.steps.steps[$0]) }, y = run.steps[keyPath: values]
                    let ema = Smoothing.exponentialMovingAverage(y, weight: Smoothing.defaultWeight(count: y.count))
                    p.lines.append(Plot.Line(name: nil, x: x, y: keep.map { y[$0] }, color: color(i), width: 1, opacity: 0.2))
                    p.lines.append(Plot.Line(name: run.name, x: x, y: keep.map { ema[$0] }, color: color(i), width: 2.5))
                }
                p.xMinimumStep = 1
                p.xDomain = 0...Double(max(1, withSteps.compactMap { $0.element.steps.steps.last }.max() ?? 1))
                return p
            }
            charts.append(stepPlot("compare-step-loss", "Training loss per step (smoothed)", "binary cross-entropy", \.loss))
            var accuracy = stepPlot("compare-step-accuracy", "Training accuracy per step (smoothed)", "accuracy", \.accuracy)
            accuracy.legend = .bottomRight
            charts.append(accuracy)
        }
        func epochPlot(_ id: String, _ title: String, _ yLabel: String, _ values: KeyPath<TrainingCurves, [Double?]>) -> Plot? {
            var p = Plot(id: id, title: title, xLabel: "epoch", yLabel: yLabel)
            for (i, run) in runs.enumerated() where run.curves[keyPath: values].contains(where: { $0 != nil }) {
                p.lines.append(Plot.Line(name: run.name, x: run.curves.epochs.map(Double.init), y: run.curves[keyPath: values].map { $0 ?? .nan },
                                         color: color(i), markers: run.curves.epochs.count <= 40))
            }
            p.xMinimumStep = 1
            return p.lines.isEmpty ? nil : p
        }
        if var p = epochPlot("compare-validation-accuracy", "Validation accuracy per epoch", "accuracy", \.validationAccuracy) {
            p.legend = .bottomRight
            charts.append(p)
        }
        if let p = epochPlot("compare-validation-loss", "Validation loss per epoch", "binary cross-entropy", \.validationLoss) { charts.append(p) }
        var roc = Plot(id: "compare-roc", title: "ROC curves (test)", xLabel: "false positive rate", yLabel: "true positive rate")
        roc.xDomain = 0...1; roc.yDomain = 0...1
        roc.lines = [Plot.Line(name: nil, x: [0, 1], y: [0, 1], color: "#888888", width: 1.2, dash: "6 4")]
            + runs.enumerated().map { i, run in
                Plot.Line(name: "\(run.name) (AUC \(run.metrics.rocAUC.map { String(format: "%.4f", $0) } ?? "n/a"))",
                          x: run.metrics.rocCurve.fpr, y: run.metrics.rocCurve.tpr, color: color(i), width: 2.2)
            }
        roc.legend = .bottomRight
        charts.append(roc)

        body += "<section id=\"curves\">\n<h2>Curves</h2>\n"
        if withSteps.isEmpty { body += "<p class=\"note\">No run has per-step records (steps.jsonl).</p>\n" }
        body += "<div class=\"pair\">\n" + charts.map { ReportPage.figure($0.svg()) }.joined() + "</div>\n</section>\n"
        return ReportPage.page(title: title, body: body)
    }

    /// One row per run; the best value of each metric column in bold.
    static func table(_ runs: [Run]) -> String {
        let columns: [(String, (ClassificationReport) -> Double?, Bool)] = [
            ("Accuracy", { $0.accuracy }, true), ("Precision", { $0.precision }, true), ("Recall", { $0.recall }, true),
            ("F-score", { $0.f1 }, true), ("ROC AUC", { $0.rocAUC }, true), ("Log loss", { $0.logLoss }, false),
        ]
        var t = "<table class=\"compare\">\n<tr><th>Run</th><th>Configuration</th>" + columns.map { "<th>\($0.0)</th>" }.joined()
            + "<th>Epochs</th><th>Test images</th><th>Test digest</th></tr>\n"
        let best = columns.map { c in
            let values = runs.compactMap { c.1($0.metrics) }.filter(\.isFinite)
            return c.2 ? values.max() : values.min()
        }
        for (i, run) in runs.enumerated() {
            t += "<tr><th><span class=\"swatch\" style=\"color: \(SVG.palette[i % SVG.palette.count])\">&#9632;</span> \(HTML.escape(run.name))</th>"
                + "<td class=\"text\">\(HTML.escape(run.configuration))</td>"
            for (k, c) in columns.enumerated() {
                let value = c.1(run.metrics)
                let cell = ReportPage.cell(value)
                t += runs.count > 1 && value != nil && value == best[k] ? cell.replacingOccurrences(of: "<td>", with: "<td class=\"best\">") : cell
            }
            t += "<td>\(run.epochs.map(String.init) ?? "")</td><td>\(run.metrics.samples)</td><td><code>\(HTML.escape(run.testDigest ?? "unknown"))</code></td></tr>\n"
        }
        return t + "</table>\n<p class=\"caption\">Precision, recall and F-score are macro means over REAL and FAKE; the best value of each column in bold.</p>\n"
    }
}
