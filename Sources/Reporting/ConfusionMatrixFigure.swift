import Foundation

/// The confusion matrix as SVG: one cell per (true, predicted) pair with its count and its share
/// of the true class, shaded by that share.
public enum ConfusionMatrixFigure {
    /// `counts[t][p]`: samples of true class `labels[t]` predicted `labels[p]`.
    public static func svg(id: String, labels: [String], counts: [[Int]], title: String) -> String {
        precondition(counts.count == labels.count && counts.allSatisfy { $0.count == labels.count },
                     "ConfusionMatrixFigure: expected a \(labels.count)x\(labels.count) matrix")
        let cell = 130.0, left = 118.0, top = 78.0
        let size = Double(labels.count) * cell
        let width = left + size + 24, height = top + size + 34
        var s = SVG.rect(x: 0, y: 0, width: width, height: height, fill: "#ffffff")
        s += SVG.text(title, x: 12, y: 20, size: 15, weight: "bold")
        s += SVG.text("predicted", x: left + size / 2, y: top - 34, anchor: .middle, size: 13, color: "#444")
        s += SVG.text("true", x: 22, y: top + size / 2, anchor: .middle, size: 13, color: "#444", rotate: -90)
        for (i, label) in labels.enumerated() {
            s += SVG.text(label, x: left + (Double(i) + 0.5) * cell, y: top - 10, anchor: .middle, size: 14, weight: "bold")
            s += SVG.text(label, x: left - 10, y: top + (Double(i) + 0.5) * cell + 5, anchor: .end, size: 14, weight: "bold")
        }
        for (t, row) in counts.enumerated() {
            let total = row.reduce(0, +)
            for (p, count) in row.enumerated() {
                let share = total > 0 ? Double(count) / Double(total) : 0
                let x = left + Double(p) * cell, y = top + Double(t) * cell
                s += SVG.rect(x: x, y: y, width: cell, height: cell, fill: shade(share), stroke: "#ffffff",
                              tooltip: "true \(label(labels, t)), predicted \(label(labels, p)): \(count)")
                let ink = share > 0.5 ? "#ffffff" : "#1b1b1b"
                s += SVG.text(String(count), x: x + cell / 2, y: y + cell / 2 + 2, anchor: .middle, size: 24, weight: "bold", color: ink)
                s += SVG.text(String(format: "%.1f%% of %@", 100 * share, label(labels, t)), x: x + cell / 2, y: y + cell / 2 + 24,
                              anchor: .middle, size: 12, color: ink)
            }
        }
        s += SVG.text("Rows: true class (shares add up to 100% per row).", x: 12, y: height - 10, size: 12, color: "#555")
        return SVG.document(id: id, width: width, height: height, title: title, content: s)
    }

    private static func label(_ labels: [String], _ i: Int) -> String { labels[i] }

    /// White to dark blue.
    static func shade(_ share: Double) -> String {
        let t = min(max(share, 0), 1)
        let (r, g, b) = (255 - t * (255 - 24), 255 - t * (255 - 72), 255 - t * (255 - 150))
        return String(format: "#%02x%02x%02x", Int(r.rounded()), Int(g.rounded()), Int(b.rounded()))
    }
}
