import Foundation

extension ClassificationReport {
    /// A human-readable report in the layout of sklearn's `classification_report` (and of the
    /// paper's table): one row per class (REAL, FAKE), then accuracy, macro and weighted
    /// averages; columns precision, recall, f1-score, support; then ROC AUC, log loss, the
    /// threshold and the labelled confusion matrix. Values are fractions with 4 decimals.
    public func table() -> String {
        let width = 12
        func pad(_ s: String, _ w: Int = width) -> String {
            s.count >= w ? s : String(repeating: " ", count: w - s.count) + s
        }
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        func row(_ name: String, _ p: Double, _ r: Double, _ f1: Double, _ support: Int) -> String {
            pad(name) + pad(f(p)) + pad(f(r)) + pad(f(f1)) + pad(String(support))
        }
        let real = perClass.real, fake = perClass.fake
        let n = Double(samples)
        func weighted(_ key: KeyPath<ClassMetrics, Double>) -> Double {
            (real[keyPath: key] * Double(real.support) + fake[keyPath: key] * Double(fake.support)) / n
        }
        var lines: [String] = []
        lines.append(pad("") + pad("precision") + pad("recall") + pad("f1-score") + pad("support"))
        lines.append("")
        lines.append(row("REAL", real.precision, real.recall, real.f1, real.support))
        lines.append(row("FAKE", fake.precision, fake.recall, fake.f1, fake.support))
        lines.append("")
        lines.append(pad("accuracy") + pad("") + pad("") + pad(f(accuracy)) + pad(String(samples)))
        lines.append(row("macro avg", precision, recall, f1, samples))
        lines.append(row("weighted avg", weighted(\.precision), weighted(\.recall), weighted(\.f1), samples))
        lines.append("")
        lines.append("ROC AUC:   " + (rocAUC.map(f) ?? "n/a (one class only)"))
        lines.append("log loss:  " + f(logLoss))
        lines.append("threshold: " + String(format: "%.4g", Double(threshold)) + " (FAKE when P(FAKE) >= threshold)")
        lines.append("")
        lines.append("confusion matrix (rows = true class, columns = predicted):")
        let labels = confusionMatrix.labels
        lines.append(pad("") + labels.map { pad($0) }.joined())
        for (label, counts) in zip(labels, confusionMatrix.matrix) {
            lines.append(pad(label) + counts.map { pad(String($0)) }.joined())
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
