import Evaluation
import Imaging
import XCTest
@testable import Reporting

final class ReportPageTests: XCTestCase {
    // 10 samples: TN 3, FP 1, FN 2, TP 4 at threshold 0.5 (accuracy 0.7; AUC 21/24 = 0.875).
    let probabilities: [Float] = [0.1, 0.2, 0.3, 0.6, 0.4, 0.45, 0.55, 0.7, 0.8, 0.9]
    let labels: [UInt8] = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]

    func item(_ trueLabel: String, _ p: Double, _ k: Int) -> GalleryItem {
        GalleryItem(pixels: [UInt8](repeating: UInt8(10 * k), count: 3072), heatmap: (0..<1024).map { Float($0 % 32) / 31 },
                    trueLabel: trueLabel, predictedLabel: p >= 0.5 ? "FAKE" : "REAL", probabilityFake: p, source: "test/\(trueLabel)/\(k).png")
    }

    func input(curves: TrainingCurves) throws -> ReportInput {
        let metrics = try ClassificationReport(probabilities: probabilities, labels: labels)
        return ReportInput(title: "CNN2D <D=32> & \"friends\"", runName: "run'1", details: [("data", "/tmp/<x>")], metrics: metrics,
                           curves: curves, gallery: [item("REAL", 0.1, 0), item("REAL", 0.8, 1), item("FAKE", 0.9, 2)],
                           galleryDescription: "3 images")
    }

    static let curves = TrainingCurves(epochs: [1, 2, 3], trainLoss: [0.7, 0.5, 0.4], validationLoss: [0.65, 0.5, 0.45],
                                       trainAccuracy: [0.5, 0.7, 0.8], validationAccuracy: [0.55, 0.7, 0.75],
                                       testAccuracy: [nil, nil, nil], keptEpoch: 3)

    /// Every src in the page, in order.
    func sources(_ html: String) -> [String] {
        html.components(separatedBy: "src=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }

    func testPageRefersToExactlyItsFiguresAndNothingOutside() throws {
        let page = ReportPage.build(try input(curves: Self.curves))
        let names = page.figures.map(\.fileName)
        XCTAssertEqual(Set(names).count, names.count, "figure names are unique")
        XCTAssertEqual(sources(page.html), names, "the page shows every figure once, in order, and nothing else")
        XCTAssertEqual(names, ["confusion-matrix.png", "roc.png", "loss.png", "accuracy.png", "gradcam-01.png", "gradcam-02.png", "gradcam-03.png"])
        for forbidden in ["http:", "https:", "<script", "<link", "@import", "url("] {
            XCTAssertFalse(page.html.contains(forbidden), "the page opens offline: no \(forbidden)")
        }
        for figure in page.figures { XCTAssertFalse(figure.fileName.contains("/")) }
    }

    func testPageShowsThePaperMetricsAndEscapesText() throws {
        let page = ReportPage.build(try input(curves: Self.curves))
        let html = page.html
        // Headline: accuracy, macro precision, recall, F-score, AUC; per class rows.
        for value in ["0.7000", "0.7083", "0.6970", "0.8750", "0.7500", "0.6667", "0.8000", "0.6000"] {
            XCTAssertTrue(html.contains("<td>\(value)</td>"), "page shows \(value)")
        }
        XCTAssertTrue(html.contains("<th>REAL</th>") && html.contains("<th>FAKE</th>") && html.contains("Macro average"))
        XCTAssertTrue(html.contains("CNN2D &lt;D=32&gt; &amp; &quot;friends&quot;"), "title escaped")
        XCTAssertTrue(html.contains("run&#39;1") && html.contains("/tmp/&lt;x&gt;"))
        XCTAssertFalse(html.contains("<D=32>") || html.contains("<x>"), "no raw text from the run")
        // Gallery: one figure per item; the REAL image called FAKE is marked wrong.
        XCTAssertEqual(html.components(separatedBy: "<figure class=\"right\">").count - 1, 2)
        XCTAssertEqual(html.components(separatedBy: "<figure class=\"wrong\">").count - 1, 1)
        XCTAssertTrue(html.contains("2 of 3 correct"))
    }

    func testNoHistoryMeansNoCurvesAndOneClassMeansNoAUC() throws {
        var input = try input(curves: TrainingCurves())
        input.metrics = try ClassificationReport(probabilities: [0.2, 0.7], labels: [0, 0])
        input.gallery = []
        let page = ReportPage.build(input)
        XCTAssertEqual(page.figures.map(\.fileName), ["confusion-matrix.png", "roc.png"])
        XCTAssertEqual(sources(page.html), ["confusion-matrix.png", "roc.png"])
        XCTAssertTrue(page.html.contains("history.jsonl is missing"))
        XCTAssertTrue(page.html.contains("<td class=\"na\">n/a</td>"), "AUC undefined with one class")
    }

    func testTestMonitorCurveOnlyWhenRecorded() {
        let without = ReportPage.curvePlots(Self.curves)
        XCTAssertEqual(without.loss.series.map(\.name), ["train", "validation"])
        XCTAssertEqual(without.accuracy.series.map(\.name), ["train", "validation"])
        var c = Self.curves
        c.testAccuracy = [0.5, nil, 0.8]
        c.validationLoss = [nil, nil, nil]
        let with = ReportPage.curvePlots(c)
        XCTAssertEqual(with.loss.series.map(\.name), ["train"])
        XCTAssertEqual(with.accuracy.series.map(\.name), ["train", "validation", "test (monitor)"])
        XCTAssertTrue(with.accuracy.series[2].y[1].isNaN, "a missing value breaks the line")
        XCTAssertEqual(with.accuracy.verticalLines.map(\.x), [3])
    }

    func testGalleryTriptychIsScaledEightTimes() {
        let raster = ReportPage.galleryRaster(item("FAKE", 0.9, 3))
        XCTAssertGreaterThanOrEqual(raster.width, 3 * 32 * 8)
        // The first panel starts after the 8-pixel gap and repeats each source pixel 8x8.
        XCTAssertEqual(raster[8, 8], RGB(30, 30, 30))
        XCTAssertEqual(raster[8 + 255, 8 + 255], RGB(30, 30, 30))
    }

    func testGallerySampleIsBalancedFixedAndSeeded() {
        let labels: [UInt8] = (0..<100).map { $0 % 3 == 0 ? 1 : 0 }  // 66 REAL, 34 FAKE
        let chosen = GallerySample.indices(labels: labels)
        XCTAssertEqual(chosen.count, 16)
        XCTAssertEqual(chosen.prefix(8).map { labels[$0] }, Array(repeating: 0, count: 8))
        XCTAssertEqual(chosen.suffix(8).map { labels[$0] }, Array(repeating: 1, count: 8))
        XCTAssertEqual(Set(chosen).count, 16)
        XCTAssertEqual(chosen, GallerySample.indices(labels: labels), "the same images every time")
        XCTAssertNotEqual(chosen, GallerySample.indices(labels: labels, seed: 1))
        XCTAssertNotEqual(Array(chosen.prefix(8)), Array(0..<12).filter { $0 % 3 != 0 }.prefix(8).map { $0 }, "shuffled, not the first")
        XCTAssertEqual(GallerySample.indices(labels: [0, 1, 0]), [0, 2, 1], "all of a small class")
        XCTAssertEqual(GallerySample.indices(labels: []), [])
    }

    func testAnAllZeroHeatmapIsSaidToBeEmpty() throws {
        var input = try input(curves: Self.curves)
        input.gallery[2].heatmap = [Float](repeating: 0, count: 1024)
        let html = ReportPage.build(input).html
        XCTAssertEqual(html.components(separatedBy: "empty map").count - 1, 1)
        XCTAssertTrue(html.contains("empty map (no positive evidence for FAKE"))
    }

    func testEscape() {
        XCTAssertEqual(HTML.escape("<a href=\"x\">Tom & Jerry's</a>"), "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;")
        XCTAssertEqual(HTML.escape("plain 0.95"), "plain 0.95")
    }
}
