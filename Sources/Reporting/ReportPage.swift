import Evaluation
import Foundation
import Imaging

/// A run's report: one self-contained HTML page and the PNG figures it shows, all meant to sit
/// together in one folder (`report/`). The page links nothing else: no scripts, fonts or style
/// sheets from elsewhere, so it opens offline. Pure: no files, no clock.
public struct ReportPage: Sendable {
    /// The page, UTF-8 text for `index.html`.
    public var html: String
    /// The figures, in the order the page shows them; the page refers to them by `fileName`.
    public var figures: [ReportFigure]

    /// Pixel size of the Grad-CAM panels relative to the 32x32 image.
    public static let galleryScale = 8

    /// Builds the page and its figures from what the run folder holds.
    public static func build(_ input: ReportInput) -> ReportPage {
        var figures: [ReportFigure] = []
        var body = ""
        let m = input.metrics

        body += "<header>\n<h1>\(HTML.escape(input.title))</h1>\n"
        body += "<p class=\"sub\">Run <code>\(HTML.escape(input.runName))</code> &middot; detecting AI-generated images (CIFAKE, REAL vs FAKE)</p>\n"
        body += "</header>\n"
        for note in input.notes { body += "<p class=\"note\">\(HTML.escape(note))</p>\n" }

        // The paper's headline numbers, then its per-class table.
        body += "<section id=\"metrics\">\n<h2>Test metrics</h2>\n"
        body += "<p>The kept model on \(m.samples) test images; FAKE is the positive class, predicted when P(FAKE) &ge; \(HTML.escape(number(Double(m.threshold), 2))).</p>\n"
        body += "<table class=\"headline\">\n<tr>" + ["Accuracy", "Precision", "Recall", "F-score", "ROC AUC"].map { "<th>\($0)</th>" }.joined() + "</tr>\n"
        body += "<tr>" + [m.accuracy, m.precision, m.recall, m.f1, m.rocAUC].map { cell($0) }.joined() + "</tr>\n</table>\n"
        body += "<p class=\"caption\">Precision, recall and F-score are macro means over REAL and FAKE.</p>\n"
        body += metricsTable(m)
        body += "</section>\n"

        // Figures: confusion matrix and ROC, then the training curves.
        let counts = m.confusionMatrix.matrix
        figures.append(ReportFigure(fileName: "confusion-matrix.png",
                                    raster: ConfusionMatrixImage(labels: m.confusionMatrix.labels, counts: counts,
                                                                 title: "Confusion matrix (test)").render(width: 480, height: 480),
                                    altText: "Confusion matrix: " + zip(m.confusionMatrix.labels, counts)
                                        .map { "true \($0.0) predicted " + zip(m.confusionMatrix.labels, $0.1).map { "\($0.0) \($0.1)" }.joined(separator: ", ") }
                                        .joined(separator: "; ")))
        let roc = LinePlot.roc(fpr: m.rocCurve.fpr, tpr: m.rocCurve.tpr, auc: m.rocAUC, title: "ROC curve (test)")
        figures.append(ReportFigure(fileName: "roc.png", raster: roc.render(width: 480, height: 480),
                                    altText: "ROC curve, AUC " + (m.rocAUC.map { number($0, 4) } ?? "n/a")))
        body += "<section id=\"figures\">\n<h2>Confusion matrix and ROC curve</h2>\n<div class=\"pair\">\n"
        body += figureTag(figures[figures.count - 2], width: 480, height: 480)
        body += figureTag(figures[figures.count - 1], width: 480, height: 480)
        body += "</div>\n</section>\n"

        body += "<section id=\"curves\">\n<h2>Training curves</h2>\n"
        if input.curves.isEmpty {
            body += "<p class=\"note\">No epochs recorded (history.jsonl is missing or empty).</p>\n"
        } else {
            let (loss, accuracy) = curvePlots(input.curves)
            figures.append(ReportFigure(fileName: "loss.png", raster: loss.render(width: 640, height: 480),
                                        altText: "Loss per epoch: " + loss.series.map(\.name).joined(separator: ", ")))
            figures.append(ReportFigure(fileName: "accuracy.png", raster: accuracy.render(width: 640, height: 480),
                                        altText: "Accuracy per epoch: " + accuracy.series.map(\.name).joined(separator: ", ")))
            body += "<div class=\"pair\">\n"
            body += figureTag(figures[figures.count - 2], width: 640, height: 480)
            body += figureTag(figures[figures.count - 1], width: 640, height: 480)
            body += "</div>\n"
            body += historyTable(input.curves)
        }
        body += "</section>\n"

        body += "<section id=\"gradcam\">\n<h2>Explanation gallery</h2>\n"
        if input.gallery.isEmpty {
            body += "<p class=\"note\">No explanation gallery (no test images).</p>\n"
        } else {
            let wrong = input.gallery.filter { !$0.isCorrect }.count
            let empty = input.gallery.filter(\.isEmptyMap).count
            body += "<p>\(HTML.escape(input.galleryDescription))\(input.galleryDescription.isEmpty ? "" : ". ")"
                + "Each row: the image, the heatmap of the regions that pushed the model towards the explained class, their overlay "
                + "(scaled \(galleryScale)x), and a colour bar: what the colours are worth in the map's units. "
                + "\(input.gallery.count - wrong) of \(input.gallery.count) correct; \(empty) of \(input.gallery.count) maps without positive evidence.</p>\n"
            body += "<div class=\"gallery\">\n"
            for (i, item) in input.gallery.enumerated() {
                let figure = ReportFigure(fileName: String(format: "gradcam-%02d.png", i + 1), raster: galleryRaster(item),
                                          altText: "\(item.trueLabel) image predicted \(item.predictedLabel)")
                figures.append(figure)
                body += "<figure class=\"\(item.isCorrect ? "right" : "wrong")\">"
                    + "<img class=\"pixels\" src=\"\(HTML.escape(figure.fileName))\" width=\"\(figure.raster.width)\" height=\"\(figure.raster.height)\" alt=\"\(HTML.escape(figure.altText))\">"
                    + "<figcaption>true <b>\(HTML.escape(item.trueLabel))</b> &middot; predicted <b>\(HTML.escape(item.predictedLabel))</b>"
                    + " (p = \(HTML.escape(number(item.confidence, 3))), P(FAKE) = \(HTML.escape(number(item.probabilityFake, 3))))"
                    + " &middot; <span class=\"verdict\">\(item.isCorrect ? "correct" : "wrong")</span>"
                    + " &middot; \(HTML.escape(item.method)) of \(HTML.escape(item.explainedLabel))"
                    + (item.isEmptyMap ? " &middot; empty map (no positive evidence for \(HTML.escape(item.explainedLabel)) at the last convolution)" : "")
                    + "<br><code>\(HTML.escape(item.source))</code></figcaption></figure>\n"
            }
            body += "</div>\n"
        }
        body += "</section>\n"

        if !input.details.isEmpty {
            body += "<section id=\"run\">\n<h2>Run</h2>\n<table class=\"details\">\n"
            for (name, value) in input.details {
                body += "<tr><th>\(HTML.escape(name))</th><td>\(HTML.escape(value))</td></tr>\n"
            }
            body += "</table>\n</section>\n"
        }

        let html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(input.title)) - \(HTML.escape(input.runName))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
        return ReportPage(html: html, figures: figures)
    }

    /// The per-class table in the layout of the paper (and of sklearn's classification report).
    static func metricsTable(_ m: ClassificationReport) -> String {
        let real = m.perClass.real, fake = m.perClass.fake
        let n = Double(max(1, m.samples))
        func weighted(_ key: KeyPath<ClassificationReport.ClassMetrics, Double>) -> Double {
            (real[keyPath: key] * Double(real.support) + fake[keyPath: key] * Double(fake.support)) / n
        }
        var t = "<table class=\"metrics\">\n<tr><th></th><th>Precision</th><th>Recall</th><th>F-score</th><th>Support</th></tr>\n"
        func row(_ name: String, _ p: Double, _ r: Double, _ f: Double, _ support: Int, _ cls: String = "") -> String {
            "<tr\(cls.isEmpty ? "" : " class=\"\(cls)\"")><th>\(HTML.escape(name))</th>\(cell(p))\(cell(r))\(cell(f))<td>\(support)</td></tr>\n"
        }
        t += row("REAL", real.precision, real.recall, real.f1, real.support)
        t += row("FAKE", fake.precision, fake.recall, fake.f1, fake.support)
        t += "<tr class=\"sep\"><th>Accuracy</th><td></td><td></td>\(cell(m.accuracy))<td>\(m.samples)</td></tr>\n"
        t += row("Macro average", m.precision, m.recall, m.f1, m.samples)
        t += row("Weighted average", weighted(\.precision), weighted(\.recall), weighted(\.f1), m.samples)
        t += "<tr class=\"sep\"><th>ROC AUC</th><td></td><td></td>\(cell(m.rocAUC))<td></td></tr>\n"
        t += "<tr><th>Log loss</th><td></td><td></td>\(cell(m.logLoss))<td></td></tr>\n"
        t += "</table>\n"
        return t
    }

    /// Loss and accuracy per epoch: train and validation, and the test monitor when there is one,
    /// with the kept epoch marked.
    static func curvePlots(_ c: TrainingCurves) -> (loss: LinePlot, accuracy: LinePlot) {
        let x = c.epochs.map(Double.init)
        func values(_ v: [Double?]) -> [Double] { v.map { $0 ?? .nan } }
        let markers = c.epochs.count <= 40
        var loss = [LinePlot.Series(name: "train", x: x, y: c.trainLoss, color: RGB.palette[0], markers: markers)]
        if c.validationLoss.contains(where: { $0 != nil }) {
            loss.append(.init(name: "validation", x: x, y: values(c.validationLoss), color: RGB.palette[1], markers: markers))
        }
        var accuracy = [LinePlot.Series(name: "train", x: x, y: c.trainAccuracy, color: RGB.palette[0], markers: markers)]
        if c.validationAccuracy.contains(where: { $0 != nil }) {
            accuracy.append(.init(name: "validation", x: x, y: values(c.validationAccuracy), color: RGB.palette[1], markers: markers))
        }
        if c.testAccuracy.contains(where: { $0 != nil }) {
            accuracy.append(.init(name: "test (monitor)", x: x, y: values(c.testAccuracy), color: RGB.palette[2], dash: 6,
                                  markers: markers))
        }
        let kept = c.keptEpoch.map { [LinePlot.VerticalLine(x: Double($0), name: "kept epoch \($0)")] } ?? []
        return (LinePlot(title: "Loss", xLabel: "epoch", yLabel: "binary cross-entropy", series: loss, legend: .topRight,
                         verticalLines: kept, xMinimumStep: 1, padding: 0.03),
                LinePlot(title: "Accuracy", xLabel: "epoch", yLabel: "accuracy", series: accuracy, legend: .bottomRight,
                         verticalLines: kept, xMinimumStep: 1, padding: 0.03))
    }

    /// The same values as numbers, one row per epoch.
    static func historyTable(_ c: TrainingCurves) -> String {
        let hasTest = c.testAccuracy.contains { $0 != nil }
        var t = "<details><summary>Values per epoch</summary>\n<table class=\"history\">\n<tr><th>Epoch</th><th>Train loss</th><th>Train accuracy</th>"
            + "<th>Validation loss</th><th>Validation accuracy</th>\(hasTest ? "<th>Test accuracy (monitor)</th>" : "")</tr>\n"
        for i in c.epochs.indices {
            t += "<tr\(c.epochs[i] == c.keptEpoch ? " class=\"kept\"" : "")><th>\(c.epochs[i])\(c.epochs[i] == c.keptEpoch ? " (kept)" : "")</th>"
                + cell(c.trainLoss[i]) + cell(c.trainAccuracy[i]) + cell(c.validationLoss[i]) + cell(c.validationAccuracy[i])
                + (hasTest ? cell(c.testAccuracy[i]) : "") + "</tr>\n"
        }
        return t + "</table>\n</details>\n"
    }

    /// Image, colour-mapped heatmap and overlay, each scaled up by `galleryScale` (nearest
    /// neighbour, so the pixels stay visible), and the colour bar, side by side with captions.
    public static func galleryRaster(_ item: GalleryItem) -> Raster {
        Heatmap.explanationFigure(image: Raster(width: 32, height: 32, pixels: item.pixels), heat: item.heatmap,
                                  barLabels: ColorBar.labels(top: Float(item.scaleTop)),
                                  captions: ["image", item.method, "overlay"], factor: galleryScale)
    }

    static func figureTag(_ figure: ReportFigure, width: Int, height: Int) -> String {
        "<figure><img src=\"\(HTML.escape(figure.fileName))\" width=\"\(width)\" height=\"\(height)\" alt=\"\(HTML.escape(figure.altText))\"></figure>\n"
    }

    /// A fraction with 4 decimals in a table cell, or "n/a".
    static func cell(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "<td class=\"na\">n/a</td>" }
        return "<td>\(number(value, 4))</td>"
    }

    static func number(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    static let style = """
        body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1b1b1b; background: #fff;
               max-width: 1140px; margin: 0 auto; padding: 16px 24px 48px; line-height: 1.4; }
        h1 { font-size: 26px; margin: 8px 0 2px; }
        h2 { font-size: 20px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #ccc; }
        .sub { color: #555; margin: 0 0 8px; }
        .note { background: #fff6d6; border: 1px solid #e6cf7a; padding: 6px 10px; }
        .caption { color: #555; font-size: 13px; margin: 4px 0 14px; }
        code { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
        table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
        th, td { padding: 4px 12px; border: 1px solid #d0d0d0; text-align: right; }
        th { background: #f3f5f8; }
        tr > th:first-child { text-align: left; }
        table.headline td { font-size: 20px; font-weight: bold; padding: 6px 18px; }
        table.headline th { text-align: center; }
        table.metrics tr.sep > * { border-top: 2px solid #888; }
        table.details td { text-align: left; font-family: "DejaVu Sans Mono", monospace; font-size: 13px; }
        table.history tr.kept { background: #eef6ee; }
        td.na { color: #888; }
        .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; align-items: start; }
        figure { margin: 0; }
        .pair figure img { margin: 0 auto; }
        img { max-width: 100%; height: auto; display: block; border: 1px solid #ddd; }
        img.pixels { image-rendering: pixelated; }
        .gallery { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
        .gallery figure { border: 3px solid #2ca02c; padding: 4px; }
        .gallery figure.wrong { border-color: #d62728; }
        .gallery figure img { border: none; width: 100%; }
        .gallery figcaption { font-size: 13px; padding: 2px 4px; }
        .gallery .right .verdict { color: #217a21; font-weight: bold; }
        .gallery .wrong .verdict { color: #b01e1e; font-weight: bold; }
        details { margin-top: 10px; }
        """
}
