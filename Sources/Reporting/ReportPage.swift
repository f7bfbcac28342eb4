import Evaluation
import Foundation
import Imaging

/// A run's report: one self-contained HTML page (charts inline as SVG) and the PNG pictures it shows, all meant to sit
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
        let pr = input.predictions.map { ReportCharts.precisionRecall($0) }
        let calibration = input.predictions.map { ReportCharts.calibration($0) }

        body += "<header>\n<h1>\(HTML.escape(input.title))</h1>\n"
        body += "<p class=\"sub\">Run <code>\(HTML.escape(input.runName))</code> &middot; detecting AI-generated images (CIFAKE, REAL vs FAKE)</p>\n"
        body += "<nav>" + [("metrics", "Metrics"), ("figures", "Confusion &amp; ROC"), ("scores", "Scores"), ("per-class", "Per class"),
                           ("curves", "Training"), ("mistakes", "Mistakes"), ("gradcam", "Explanations"), ("run", "Run")]
            .map { "<a href=\"#\($0.0)\">\($0.1)</a>" }.joined(separator: " &middot; ") + "</nav>\n"
        body += "</header>\n"
        for note in input.notes { body += "<p class=\"note\">\(HTML.escape(note))</p>\n" }

        // The paper's headline numbers, then its per-class table.
        body += "<section id=\"metrics\">\n<h2>Test metrics</h2>\n"
        body += "<p>The kept model on \(m.samples) test images; FAKE is the positive class, predicted when P(FAKE) &ge; \(HTML.escape(number(Double(m.threshold), 2))).</p>\n"
        body += "<table class=\"headline\">\n<tr>" + ["Accuracy", "Precision", "Recall", "F-score", "ROC AUC"].map { "<th>\($0)</th>" }.joined() + "</tr>\n"
        body += "<tr>" + [m.accuracy, m.precision, m.recall, m.f1, m.rocAUC].map { cell($0) }.joined() + "</tr>\n</table>\n"
        body += "<p class=\"caption\">Precision, recall and F-score are macro means over REAL and FAKE.</p>\n"
        body += metricsTable(m, averagePrecision: pr?.averagePrecision, calibrationError: calibration?.calibration.expectedCalibrationError)
        body += "</section>\n"

        body += "<section id=\"figures\">\n<h2>Confusion matrix and ROC curve</h2>\n<div class=\"pair\">\n"
        body += figure(ConfusionMatrixFigure.svg(id: "confusion-matrix", labels: m.confusionMatrix.labels, counts: m.confusionMatrix.matrix,
                                                 title: "Confusion matrix (test)"))
        body += figure(ReportCharts.roc(m).svg())
        body += "</div>\n</section>\n"

        body += "<section id=\"scores\">\n<h2>Scores: precision-recall, calibration, distribution</h2>\n"
        if let predictions = input.predictions, let pr, let calibration {
            body += "<p>From the kept model's P(FAKE) on all \(predictions.labels.count) test images. Average precision (AP) is the "
                + "step-wise area under the precision-recall curve; the reliability diagram bins the scores into tenths and compares "
                + "each bin's mean score with the fraction of it that is FAKE (ECE: their gap, weighted by the bin's share).</p>\n"
            body += "<div class=\"triple\">\n" + figure(pr.plot.svg()) + figure(calibration.plot.svg())
                + figure(ReportCharts.scoreHistogram(predictions).svg()) + "</div>\n"
        } else {
            body += "<p class=\"note\">No per-image test scores (the test set could not be scored): no precision-recall curve, calibration or histograms.</p>\n"
        }
        body += "</section>\n"

        body += "<section id=\"per-class\">\n<h2>Accuracy per CIFAR-10 class</h2>\n"
        if let predictions = input.predictions {
            let (plot, rows) = ReportCharts.classAccuracy(predictions)
            let named = predictions.classes.filter { $0 != nil }.count
            if rows.contains(where: { $0.total > 0 }) {
                body += "<p>The class comes from each test image's file name; \(named) of \(predictions.classes.count) names carry one. "
                    + "REAL: the share of real photos of that class called REAL; FAKE: the share of generated images of that class called FAKE.</p>\n"
                body += figure(plot.svg()) + classTable(rows)
            } else {
                body += "<p class=\"note\">No test image's file name names a CIFAR-10 class (expected e.g. <code>airplane_0001.jpg</code> or <code>0001 (2).jpg</code>).</p>\n"
            }
        } else {
            body += "<p class=\"note\">No per-image test scores.</p>\n"
        }
        body += "</section>\n"

        body += "<section id=\"curves\">\n<h2>Training</h2>\n"
        if input.steps.isEmpty {
            body += "<p class=\"note\">No per-step records (steps.jsonl is missing or empty).</p>\n"
        } else {
            body += "<p>Per step (each point the mean over the steps since the previous record): raw values faint, their exponential moving "
                + "average bold; validation once per epoch.</p>\n"
            body += "<div class=\"pair\">\n" + ReportCharts.steps(input.steps, epochs: input.curves).map { figure($0.svg()) }.joined() + "</div>\n"
        }
        if input.curves.isEmpty {
            body += "<p class=\"note\">No epochs recorded (history.jsonl is missing or empty).</p>\n"
        } else {
            let (loss, accuracy) = ReportCharts.epochs(input.curves)
            body += "<div class=\"pair\">\n" + figure(loss.svg()) + figure(accuracy.svg()) + "</div>\n"
            body += historyTable(input.curves)
        }
        body += "</section>\n"

        body += "<section id=\"mistakes\">\n<h2>Most confident mistakes</h2>\n"
        if input.mistakes.isEmpty {
            body += "<p>\(input.predictions == nil ? "No per-image test scores." : "No test image was misclassified.")</p>\n"
        } else {
            let fp = input.mistakes.filter { $0.trueLabel == "REAL" }.count
            body += "<p>The wrong verdicts the model was surest of: \(fp) REAL photos called FAKE with the highest P(FAKE), then "
                + "\(input.mistakes.count - fp) FAKE images called REAL with the lowest, each explained like the gallery below.</p>\n"
            body += gallery(input.mistakes, prefix: "mistake", figures: &figures)
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
            body += gallery(input.gallery, prefix: "gradcam", figures: &figures)
        }
        body += "</section>\n"

        if !input.details.isEmpty {
            body += "<section id=\"run\">\n<h2>Run</h2>\n<table class=\"details\">\n"
            for (name, value) in input.details {
                body += "<tr><th>\(HTML.escape(name))</th><td>\(HTML.escape(value))</td></tr>\n"
            }
            body += "</table>\n</section>\n"
        }

        return ReportPage(html: page(title: "\(input.title) - \(input.runName)", body: body), figures: figures)
    }

    /// A complete HTML document around `body`, with the report's style sheet.
    public static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(title))</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        \(body)</body>
        </html>

        """
    }

    /// An inline SVG chart in a `<figure>`.
    static func figure(_ svg: String) -> String { "<figure class=\"chart\">\n\(svg)</figure>\n" }

    /// Explained images: each a PNG of image, heatmap and overlay (written beside the page as
    /// `<prefix>-NN.png`) with an SVG colour bar and text captions.
    static func gallery(_ items: [GalleryItem], prefix: String, figures: inout [ReportFigure]) -> String {
        var out = "<div class=\"gallery\">\n"
        for (i, item) in items.enumerated() {
            let figure = ReportFigure(fileName: String(format: "%@-%02d.png", prefix, i + 1), raster: galleryRaster(item),
                                      altText: "\(item.trueLabel) image predicted \(item.predictedLabel): image, \(item.method) heatmap, overlay")
            figures.append(figure)
            let id = String(format: "%@-%02d", prefix, i + 1)
            out += "<figure id=\"\(id)\" class=\"\(item.isCorrect ? "right" : "wrong")\">"
                + "<div class=\"panels\"><img class=\"pixels\" src=\"\(HTML.escape(figure.fileName))\" width=\"\(figure.raster.width)\" height=\"\(figure.raster.height)\" alt=\"\(HTML.escape(figure.altText))\">"
                + ColorBarFigure.svg(id: "\(id)-scale", top: item.scaleTop, height: Double(figure.raster.height)) + "</div>"
                + "<div class=\"panel-captions\"><span>image</span><span>\(HTML.escape(item.method)) of \(HTML.escape(item.explainedLabel))</span><span>overlay</span><span>scale</span></div>"
                + "<figcaption>true <b>\(HTML.escape(item.trueLabel))</b> &middot; predicted <b>\(HTML.escape(item.predictedLabel))</b>"
                + " (p = \(HTML.escape(number(item.confidence, 3))), P(FAKE) = \(HTML.escape(number(item.probabilityFake, 3))))"
                + " &middot; <span class=\"verdict\">\(item.isCorrect ? "correct" : "wrong")</span>"
                + (item.isEmptyMap ? " &middot; empty map (no positive evidence for \(HTML.escape(item.explainedLabel)) at the last convolution)" : "")
                + "<br><code>\(HTML.escape(item.source))</code></figcaption></figure>\n"
        }
        return out + "</div>\n"
    }

    /// Accuracy per class and label as numbers.
    static func classTable(_ rows: [GroupAccuracy]) -> String {
        var t = "<details><summary>Values per class</summary>\n<table class=\"classes\">\n<tr><th>Class</th><th>REAL accuracy</th><th>REAL images</th>"
            + "<th>FAKE accuracy</th><th>FAKE images</th></tr>\n"
        for k in stride(from: 0, to: rows.count - 1, by: 2) {
            let real = rows[k], fake = rows[k + 1]
            t += "<tr><th>\(HTML.escape(real.group))</th>\(cell(real.accuracy))<td>\(real.total)</td>\(cell(fake.accuracy))<td>\(fake.total)</td></tr>\n"
        }
        return t + "</table>\n</details>\n"
    }

    /// The per-class table in the layout of the paper (and of sklearn's classification report).
    static func metricsTable(_ m: ClassificationReport, averagePrecision: Double? = nil, calibrationError: Double? = nil) -> String {
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
        if let averagePrecision { t += "<tr><th>Average precision (FAKE)</th><td></td><td></td>\(cell(averagePrecision))<td></td></tr>\n" }
        if let calibrationError { t += "<tr><th>Expected calibration error</th><td></td><td></td>\(cell(calibrationError))<td></td></tr>\n" }
        t += "</table>\n"
        return t
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
    /// neighbour, so the pixels stay visible), side by side 8 pixels apart; captions and the colour
    /// bar are text and SVG on the page.
    public static func galleryRaster(_ item: GalleryItem) -> Raster {
        let image = Raster(width: 32, height: 32, pixels: item.pixels)
        let colored = Heatmap.colorize(item.heatmap, width: 32, height: 32)
        let overlay = Heatmap.blend(image: image, heat: item.heatmap, alpha: 0.45)
        return Heatmap.row([image, colored, overlay].map { Heatmap.scaleNearest($0, factor: galleryScale) }, captions: [])
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
               max-width: 1240px; margin: 0 auto; padding: 16px 24px 48px; line-height: 1.4; }
        h1 { font-size: 26px; margin: 8px 0 2px; }
        h2 { font-size: 20px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #ccc; }
        nav { font-size: 14px; margin: 4px 0 10px; }
        nav a { color: #1f4e9c; text-decoration: none; }
        .sub { color: #555; margin: 0 0 8px; }
        .note { background: #fff6d6; border: 1px solid #e6cf7a; padding: 6px 10px; }
        .warning { background: #fde2e1; border: 2px solid #d62728; padding: 8px 12px; font-weight: bold; }
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
        td.best { font-weight: bold; }
        table.compare th { white-space: nowrap; }
        table.compare td.text { text-align: left; }
        .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; align-items: start; }
        .triple { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 12px; align-items: start; }
        figure { margin: 0; }
        figure.chart svg { display: block; width: 100%; height: auto; max-width: 100%; }
        figure.chart { border: 1px solid #ddd; }
        img { max-width: 100%; height: auto; display: block; }
        img.pixels { image-rendering: pixelated; }
        .gallery { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
        .gallery figure { border: 3px solid #2ca02c; padding: 4px; }
        .gallery figure.wrong { border-color: #d62728; }
        .gallery .panels { display: grid; grid-template-columns: 800fr 128fr; align-items: start; }
        .gallery .panels img, .gallery .panels svg { width: 100%; height: auto; display: block; }
        .gallery .panel-captions { display: grid; grid-template-columns: 264fr 264fr 264fr 136fr; font-size: 12px; color: #444;
                                   text-align: center; }
        .gallery figcaption { font-size: 13px; padding: 2px 4px; }
        .gallery .right .verdict { color: #217a21; font-weight: bold; }
        .gallery .wrong .verdict { color: #b01e1e; font-weight: bold; }
        details { margin-top: 10px; }
        @media (max-width: 900px) { .pair, .triple, .gallery { grid-template-columns: 1fr; } }
        """
}
