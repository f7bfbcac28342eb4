import Evaluation
import Foundation
import Imaging

/// The report's charts, each a `Plot` with the element id the page gives it. Pure.
public enum ReportCharts {
    /// Ids of the figures a full report shows (test predictions, steps and epochs recorded).
    public static let figureIds = ["confusion-matrix", "roc-curve", "pr-curve", "calibration", "score-histogram", "class-accuracy",
                                   "step-loss", "step-accuracy", "learning-rate", "throughput", "epoch-loss", "epoch-accuracy"]

    static let chance = "#888888"

    public static func roc(_ m: ClassificationReport) -> Plot {
        var p = Plot(id: "roc-curve", title: "ROC curve (test)", xLabel: "false positive rate (REAL called FAKE)",
                     yLabel: "true positive rate (FAKE found)")
        p.xDomain = 0...1; p.yDomain = 0...1; p.width = 460; p.height = 420
        p.lines = [Plot.Line(name: "chance", x: [0, 1], y: [0, 1], color: chance, width: 1.2, dash: "6 4"),
                   Plot.Line(name: "model", x: m.rocCurve.fpr, y: m.rocCurve.tpr, color: SVG.palette[0], width: 2.5)]
        p.legend = .bottomRight
        p.notes = ["AUC = " + (m.rocAUC.map { String(format: "%.4f", $0) } ?? "n/a")]
        p.notesCorner = .topLeft
        return p
    }

    /// The precision-recall curve (at most 512 points drawn) and its average precision.
    public static func precisionRecall(_ t: TestPredictions) -> (plot: Plot, averagePrecision: Double?) {
        let c = PrecisionRecall.curve(scores: t.probabilities, labels: t.labels)
        let ap = PrecisionRecall.averagePrecision(scores: t.probabilities, labels: t.labels)
        let keep = ROC.thinnedIndices(fpr: c.recall, tpr: c.precision, maxPoints: 512)
        let share = Double(t.labels.filter { $0 == 1 }.count) / Double(max(1, t.labels.count))
        var p = Plot(id: "pr-curve", title: "Precision-recall (FAKE, test)", xLabel: "recall (FAKE found)",
                     yLabel: "precision (FAKE among called FAKE)")
        p.xDomain = 0...1; p.yDomain = 0...1; p.width = 400; p.height = 380
        p.lines = [Plot.Line(name: String(format: "chance (%.0f%% FAKE)", 100 * share), x: [0, 1], y: [share, share], color: chance,
                             width: 1.2, dash: "6 4"),
                   Plot.Line(name: "model", x: keep.map { c.recall[$0] }, y: keep.map { c.precision[$0] }, color: SVG.palette[1], width: 2.5)]
        p.legend = .bottomLeft
        p.notes = ["AP = " + (ap.map { String(format: "%.4f", $0) } ?? "n/a")]
        p.notesCorner = .topRight
        return (p, ap)
    }

    public static func calibration(_ t: TestPredictions, bins: Int = 10) -> (plot: Plot, calibration: Calibration) {
        let c = Calibration(probabilities: t.probabilities, labels: t.labels, binCount: bins)
        let n = Double(max(1, t.labels.count))
        var p = Plot(id: "calibration", title: "Reliability diagram (test)", xLabel: "mean P(FAKE) in the bin",
                     yLabel: "fraction FAKE in the bin")
        p.xDomain = 0...1; p.yDomain = 0...1; p.width = 400; p.height = 380
        p.bars = [Plot.BarSeries(name: "share of test images", color: "#9aa5b1", opacity: 0.45, bars: c.bins.map {
            Plot.Bar(x0: $0.lower + 0.005, x1: $0.upper - 0.005, y: Double($0.count) / n,
                     tooltip: String(format: "P(FAKE) %.1f-%.1f: %d images", $0.lower, $0.upper, $0.count))
        })]
        let filled = c.bins.filter { $0.count > 0 }
        p.lines = [Plot.Line(name: "perfectly calibrated", x: [0, 1], y: [0, 1], color: chance, width: 1.2, dash: "6 4"),
                   Plot.Line(name: "model", x: filled.map { $0.meanPredicted! }, y: filled.map { $0.fractionFake! }, color: SVG.palette[2],
                             width: 2.5, markers: true)]
        p.legend = .topLeft
        p.notes = [String(format: "ECE = %.4f", c.expectedCalibrationError), String(format: "MCE = %.4f", c.maximumCalibrationError)]
        p.notesCorner = .bottomRight
        return (p, c)
    }

    public static func scoreHistogram(_ t: TestPredictions, bins: Int = 20) -> Plot {
        let h = ScoreHistogram(probabilities: t.probabilities, labels: t.labels, binCount: bins)
        func series(_ name: String, _ counts: [Int], _ color: String) -> Plot.BarSeries {
            Plot.BarSeries(name: name, color: color, opacity: 0.55, bars: counts.indices.map {
                Plot.Bar(x0: h.edges[$0], x1: h.edges[$0 + 1], y: Double(counts[$0]),
                         tooltip: String(format: "%@, P(FAKE) %.2f-%.2f: %d", name, h.edges[$0], h.edges[$0 + 1], counts[$0]))
            })
        }
        var p = Plot(id: "score-histogram", title: "Scores per class (test)", xLabel: "P(FAKE)", yLabel: "images")
        p.xDomain = 0...1; p.width = 400; p.height = 380
        // Headroom above the tallest bar for the legend.
        let tallest = Double((h.real + h.fake).max() ?? 0)
        p.yDomain = 0...AxisTicks.niceRange(0, max(1, tallest * 1.3)).range.upperBound
        p.bars = [series("REAL", h.real, SVG.realColor), series("FAKE", h.fake, SVG.fakeColor)]
        p.guides = [Plot.Guide(x: Double(t.threshold), label: "threshold " + String(format: "%g", Double(t.threshold)))]
        p.legend = .topLeft
        return p
    }

    /// Accuracy per class and label, and the rows it shows (REAL then FAKE for each class).
    public static func classAccuracy(_ t: TestPredictions) -> (plot: Plot, rows: [GroupAccuracy]) {
        let rows = GroupAccuracy.table(groups: t.classes, probabilities: t.probabilities, labels: t.labels, threshold: t.threshold,
                                       order: t.classOrder)
        func series(_ label: UInt8, _ name: String, _ color: String, _ offset: Double) -> Plot.BarSeries {
            Plot.BarSeries(name: name, color: color, bars: rows.enumerated().compactMap { k, r in
                guard r.label == label, let accuracy = r.accuracy else { return nil }
                let i = Double(k / 2)
                return Plot.Bar(x0: i + offset, x1: i + offset + 0.36, y: accuracy,
                                tooltip: String(format: "%@ %@: %d of %d correct", r.group, name, r.correct, r.total))
            })
        }
        var p = Plot(id: "class-accuracy", title: "Accuracy per CIFAR-10 class (test)", xLabel: "CIFAR-10 class (from the file name)",
                     yLabel: "accuracy")
        p.xCategories = t.classOrder
        p.yDomain = 0...1; p.width = 940; p.height = 380
        p.bars = [series(0, "REAL", SVG.realColor, 0.14), series(1, "FAKE", SVG.fakeColor, 0.5)]
        p.legend = .bottomRight
        return (p, rows)
    }

    /// Loss, accuracy, learning rate and throughput over steps: raw values faint, their moving
    /// average bold; the validation values of each epoch as points at its last step.
    /// Most points a per-step line draws: longer curves are smoothed in full, then every k-th point
    /// drawn, so a page of a 10,000-record run stays small.
    public static let maxPointsPerLine = 2_000

    /// Every k-th index of `count` (the last always kept), at most `maxPointsPerLine` of them.
    static func drawn(_ count: Int) -> [Int] {
        let stride = max(1, (count + maxPointsPerLine - 1) / maxPointsPerLine)
        var kept = Array(Swift.stride(from: 0, to: count, by: stride))
        if let last = kept.last, last != count - 1 { kept[kept.count - 1] = count - 1 }
        return kept
    }

    public static func steps(_ s: StepCurves, epochs c: TrainingCurves) -> [Plot] {
        let keep = drawn(s.steps.count)
        let x = keep.map { Double(s.steps[$0]) }
        let weight = Smoothing.defaultWeight(count: s.steps.count)
        let smoothedName = String(format: "train, smoothed (EMA %.2f)", weight)
        let epochEnds: [Double]? = s.stepsPerEpoch.map { per in c.epochs.map { Double($0 * per) } }
        func smoothed(_ id: String, _ title: String, _ yLabel: String, _ values: [Double], color: String) -> Plot {
            var p = Plot(id: id, title: title, xLabel: "step", yLabel: yLabel)
            p.xDomain = 0...Double(max(1, s.steps.last ?? 1))
            let ema = Smoothing.exponentialMovingAverage(values, weight: weight)
            p.lines = [Plot.Line(name: "train, raw", x: x, y: keep.map { values[$0] }, color: color, width: 1, opacity: 0.28),
                       Plot.Line(name: smoothedName, x: x, y: keep.map { ema[$0] }, color: color, width: 2.5)]
            p.xMinimumStep = 1
            return p
        }
        var loss = smoothed("step-loss", "Loss per step", "binary cross-entropy", s.loss, color: SVG.palette[0])
        var accuracy = smoothed("step-accuracy", "Accuracy per step", "accuracy", s.accuracy, color: SVG.palette[0])
        accuracy.legend = .bottomRight
        if let epochEnds {
            if c.validationLoss.contains(where: { $0 != nil }) {
                loss.lines.append(Plot.Line(name: "validation (per epoch)", x: epochEnds, y: c.validationLoss.map { $0 ?? .nan },
                                            color: SVG.palette[1], width: 2, markers: true))
            }
            if c.validationAccuracy.contains(where: { $0 != nil }) {
                accuracy.lines.append(Plot.Line(name: "validation (per epoch)", x: epochEnds, y: c.validationAccuracy.map { $0 ?? .nan },
                                                color: SVG.palette[1], width: 2, markers: true))
            }
        }
        var rate = Plot(id: "learning-rate", title: "Learning rate", xLabel: "step", yLabel: "learning rate")
        rate.lines = [Plot.Line(name: nil, x: x, y: keep.map { s.learningRate[$0] }, color: SVG.palette[4], width: 2.5)]
        rate.xDomain = 0...Double(max(1, s.steps.last ?? 1))
        rate.xMinimumStep = 1
        var throughput = smoothed("throughput", "Throughput", "training images per second", s.imagesPerSecond, color: SVG.palette[2])
        throughput.legend = .bottomRight
        return [loss, accuracy, rate, throughput]
    }

    /// Loss and accuracy per epoch: train and validation, and the test monitor when there is one,
    /// with the kept epoch marked.
    public static func epochs(_ c: TrainingCurves) -> (loss: Plot, accuracy: Plot) {
        let x = c.epochs.map(Double.init)
        let markers = c.epochs.count <= 40
        var loss = Plot(id: "epoch-loss", title: "Loss per epoch", xLabel: "epoch", yLabel: "binary cross-entropy")
        loss.lines = [Plot.Line(name: "train", x: x, y: c.trainLoss, color: SVG.palette[0], markers: markers)]
        if c.validationLoss.contains(where: { $0 != nil }) {
            loss.lines.append(Plot.Line(name: "validation", x: x, y: c.validationLoss.map { $0 ?? .nan }, color: SVG.palette[1], markers: markers))
        }
        var accuracy = Plot(id: "epoch-accuracy", title: "Accuracy per epoch", xLabel: "epoch", yLabel: "accuracy")
        accuracy.lines = [Plot.Line(name: "train", x: x, y: c.trainAccuracy, color: SVG.palette[0], markers: markers)]
        if c.validationAccuracy.contains(where: { $0 != nil }) {
            accuracy.lines.append(Plot.Line(name: "validation", x: x, y: c.validationAccuracy.map { $0 ?? .nan }, color: SVG.palette[1],
                                            markers: markers))
        }
        if c.testAccuracy.contains(where: { $0 != nil }) {
            accuracy.lines.append(Plot.Line(name: "test (monitor)", x: x, y: c.testAccuracy.map { $0 ?? .nan }, color: SVG.palette[2],
                                            dash: "6 4", markers: markers))
        }
        let kept = c.keptEpoch.map { [Plot.Guide(x: Double($0), label: "kept epoch \($0)")] } ?? []
        loss.guides = kept; accuracy.guides = kept
        loss.xMinimumStep = 1; accuracy.xMinimumStep = 1
        accuracy.legend = .bottomRight
        return (loss, accuracy)
    }
}
