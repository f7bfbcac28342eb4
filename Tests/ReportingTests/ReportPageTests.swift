import Evaluation
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
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

    /// Everything a report can show: test predictions with classes, steps, epochs, mistakes.
    func fullInput() throws -> ReportInput {
        var input = try input(curves: Self.curves)
        let classes = ["airplane", "cat", nil, "cat", "airplane", "ship", "cat", "airplane", "ship", "cat"]
        input.predictions = TestPredictions(probabilities: probabilities, labels: labels, classes: classes,
                                            classOrder: ["airplane", "cat", "ship"])
        input.steps = Self.steps
        input.mistakes = [item("REAL", 0.6, 4), item("FAKE", 0.4, 5)]
        return input
    }

    static let steps: StepCurves = {
        let k = (1...30).map(Double.init)
        let loss: [Double] = k.map { 0.7 - 0.01 * $0 + (Int($0) % 2 == 0 ? 0.03 : -0.03) }
        let accuracy: [Double] = k.map { 0.5 + 0.01 * $0 }
        let rate: [Double] = k.map { 0.001 * (1 - $0 / 40) }
        let speed: [Double] = k.map { 1000 + Double(Int($0) % 3) * 50 }
        return StepCurves(steps: Array(1...30), loss: loss, accuracy: accuracy, learningRate: rate, imagesPerSecond: speed, stepsPerEpoch: 10)
    }()

    /// Each inline `<svg>...</svg>` of a page, with its id.
    static func svgs(_ html: String) -> [(id: String, markup: String)] {
        html.components(separatedBy: "<svg ").dropFirst().map { part in
            let markup = "<svg " + part.components(separatedBy: "</svg>")[0] + "</svg>"
            let id = markup.components(separatedBy: "id=\"").dropFirst().first.map { String($0.prefix { $0 != "\"" }) } ?? ""
            return (id, markup)
        }
    }

    /// Parses `markup` as XML (strictly: one unclosed tag or bad entity fails) and returns the root.
    static func parse(_ markup: String, file: StaticString = #filePath, line: UInt = #line) throws -> XMLElement {
        let document = try XMLDocument(xmlString: markup, options: [])
        return try XCTUnwrap(document.rootElement(), file: file, line: line)
    }

    static func texts(_ element: XMLElement) -> [String] {
        (try? element.nodes(forXPath: "//text"))?.compactMap { $0.stringValue } ?? []
    }

    static let curves = TrainingCurves(epochs: [1, 2, 3], trainLoss: [0.7, 0.5, 0.4], validationLoss: [0.65, 0.5, 0.45],
                                       trainAccuracy: [0.5, 0.7, 0.8], validationAccuracy: [0.55, 0.7, 0.75],
                                       testAccuracy: [nil, nil, nil], keptEpoch: 3)

    /// Every src in the page, in order.
    func sources(_ html: String) -> [String] {
        html.components(separatedBy: "src=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }

    func testPageRefersToExactlyItsFiguresAndNothingOutside() throws {
        let page = ReportPage.build(try fullInput())
        let names = page.figures.map(\.fileName)
        XCTAssertEqual(Set(names).count, names.count, "figure names are unique")
        XCTAssertEqual(sources(page.html), names, "the page shows every picture once, in order, and nothing else")
        XCTAssertEqual(names, ["mistake-01.png", "mistake-02.png", "gradcam-01.png", "gradcam-02.png", "gradcam-03.png"])
        for forbidden in ["http:", "https:", "<script", "<link", "@import", "url("] {
            XCTAssertFalse(page.html.contains(forbidden), "the page opens offline: no \(forbidden)")
        }
        for figure in page.figures { XCTAssertFalse(figure.fileName.contains("/")) }
        XCTAssertFalse(page.html.contains("<image"), "charts are vector, not embedded bitmaps")
    }

    /// Every figure of item 3 is on the page, as well-formed SVG with real text.
    func testEveryFigureIsWellFormedSVGWithText() throws {
        let page = ReportPage.build(try fullInput())
        let svgs = Self.svgs(page.html)
        let ids = svgs.map(\.id)
        for id in ReportCharts.figureIds {
            XCTAssertEqual(ids.filter { $0 == id }.count, 1, "one figure \(id)")
        }
        XCTAssertEqual(Set(ids).count, ids.count, "ids are unique in the page")
        for (id, markup) in svgs {
            let root = try Self.parse(markup)
            XCTAssertEqual(root.name, "svg", id)
            let viewBox = try XCTUnwrap(root.attribute(forName: "viewBox")?.stringValue, id).split(separator: " ").compactMap { Double($0) }
            XCTAssertEqual(viewBox.count, 4, id)
            XCTAssertGreaterThan(viewBox[2], 50, id); XCTAssertGreaterThan(viewBox[3], 50, id)
            XCTAssertFalse(Self.texts(root).isEmpty, "\(id) has text elements")
            XCTAssertNotNil(try root.nodes(forXPath: "title").first, "\(id) has a title")
        }
        // Titles, axis labels and notes are text a reader (and a search) can find.
        let byId = Dictionary(uniqueKeysWithValues: svgs.map { ($0.id, try! Self.parse($0.markup)) })
        XCTAssertTrue(Self.texts(byId["roc-curve"]!).contains("AUC = 0.8750"))
        XCTAssertTrue(Self.texts(byId["confusion-matrix"]!).contains("4"), "TP count shown")
        XCTAssertTrue(Self.texts(byId["calibration"]!).contains { $0.hasPrefix("ECE = ") })
        XCTAssertTrue(Self.texts(byId["pr-curve"]!).contains { $0.hasPrefix("AP = ") })
        XCTAssertEqual(Set(Self.texts(byId["class-accuracy"]!)).intersection(["airplane", "cat", "ship"]).count, 3)
        XCTAssertTrue(Self.texts(byId["step-loss"]!).contains("step"))
        XCTAssertTrue(Self.texts(byId["score-histogram"]!).contains("REAL") && Self.texts(byId["score-histogram"]!).contains("FAKE"))
        // Each gallery picture has its colour bar, in SVG.
        for prefix in ["mistake-01", "mistake-02", "gradcam-01", "gradcam-02", "gradcam-03"] {
            XCTAssertTrue(ids.contains("\(prefix)-scale"), "\(prefix) has a colour bar")
        }
    }

    func testAveragePrecisionOnThePageIsTheIndependentOne() throws {
        let input = try fullInput()
        let html = ReportPage.build(input).html
        // Positives ranked by score: 0.9 (1/1), 0.8 (2/2), 0.7 (3/3), 0.6 is negative, 0.55 (4/5), 0.45 (5/6), 0.4 (6/7).
        let expected = (1.0 + 1 + 1 + 4.0 / 5 + 5.0 / 6 + 6.0 / 7) / 6
        XCTAssertTrue(html.contains("<tr><th>Average precision (FAKE)</th><td></td><td></td><td>\(String(format: "%.4f", expected))</td>"), html)
        XCTAssertTrue(html.contains("AP = \(String(format: "%.4f", expected))"))
    }

    func testPerClassAccuracyOfASmallSet() throws {
        let (_, rows) = ReportCharts.classAccuracy(try fullInput().predictions!)
        // airplane: REAL idx 0 (0.1, right); FAKE idx 4 (0.4, wrong), 7 (0.7, right).
        // cat: REAL idx 1 (0.2, right), 3 (0.6, wrong); FAKE idx 6 (0.55, right), 9 (0.9, right).
        // ship: FAKE idx 5 (0.45, wrong), 8 (0.8, right); no REAL ship. Index 2 has no class.
        XCTAssertEqual(rows.map { "\($0.group) \($0.label) \($0.correct)/\($0.total)" },
                       ["airplane 0 1/1", "airplane 1 1/2", "cat 0 1/2", "cat 1 2/2", "ship 0 0/0", "ship 1 1/2"])
        XCTAssertNil(rows[4].accuracy)
        let html = ReportPage.build(try fullInput()).html
        XCTAssertTrue(html.contains("<tr><th>cat</th><td>0.5000</td><td>2</td><td>1.0000</td><td>2</td></tr>"))
        XCTAssertTrue(html.contains("9 of 10 names carry one"))
    }

    func testWithoutPredictionsOrStepsThePageSaysSo() throws {
        let html = ReportPage.build(try input(curves: Self.curves)).html
        XCTAssertTrue(html.contains("No per-image test scores"))
        XCTAssertTrue(html.contains("steps.jsonl is missing"))
        XCTAssertEqual(Set(Self.svgs(html).map(\.id)).intersection(["pr-curve", "calibration", "step-loss"]), [])
        XCTAssertTrue(Self.svgs(html).map(\.id).contains("epoch-loss"))
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
        XCTAssertEqual(html.components(separatedBy: " class=\"right\"><div class=\"panels\">").count - 1, 2)
        XCTAssertEqual(html.components(separatedBy: " class=\"wrong\"><div class=\"panels\">").count - 1, 1)
        XCTAssertTrue(html.contains("2 of 3 correct"))
    }

    func testNoHistoryMeansNoCurvesAndOneClassMeansNoAUC() throws {
        var input = try input(curves: TrainingCurves())
        input.metrics = try ClassificationReport(probabilities: [0.2, 0.7], labels: [0, 0])
        input.gallery = []
        let page = ReportPage.build(input)
        XCTAssertEqual(page.figures.map(\.fileName), [])
        XCTAssertEqual(Self.svgs(page.html).map(\.id), ["confusion-matrix", "roc-curve"])
        XCTAssertTrue(page.html.contains("history.jsonl is missing"))
        XCTAssertTrue(page.html.contains("<td class=\"na\">n/a</td>"), "AUC undefined with one class")
    }

    func testTestMonitorCurveOnlyWhenRecorded() {
        let without = ReportCharts.epochs(Self.curves)
        XCTAssertEqual(without.loss.lines.map(\.name), ["train", "validation"])
        XCTAssertEqual(without.accuracy.lines.map(\.name), ["train", "validation"])
        var c = Self.curves
        c.testAccuracy = [0.5, nil, 0.8]
        c.validationLoss = [nil, nil, nil]
        let with = ReportCharts.epochs(c)
        XCTAssertEqual(with.loss.lines.map(\.name), ["train"])
        XCTAssertEqual(with.accuracy.lines.map(\.name), ["train", "validation", "test (monitor)"])
        XCTAssertTrue(with.accuracy.lines[2].y[1].isNaN, "a missing value breaks the line")
        XCTAssertEqual(with.accuracy.guides.map(\.x), [3])
    }

    func testStepCurvesAreRawAndSmoothedWithValidationAtEpochEnds() {
        let plots: [Plot] = ReportCharts.steps(Self.steps, epochs: Self.curves)
        XCTAssertEqual(plots.map { $0.id }, ["step-loss", "step-accuracy", "learning-rate", "throughput"])
        let loss = plots[0]
        XCTAssertEqual(loss.lines.count, 3)
        XCTAssertLessThan(loss.lines[0].opacity, 0.5, "raw faint")
        XCTAssertEqual(loss.lines[1].opacity, 1, "smoothed bold")
        XCTAssertEqual(loss.lines[1].y, Smoothing.exponentialMovingAverage(Self.steps.loss, weight: Smoothing.defaultWeight(count: 30)))
        XCTAssertEqual(loss.lines[2].x, [10, 20, 30], "validation at each epoch's last step")
        XCTAssertEqual(loss.lines[2].y, [0.65, 0.5, 0.45])
    }

    func testALongRunDrawsAtMostTwoThousandPointsPerLineSmoothedInFull() {
        let n = 10_003
        let values = (0..<n).map { Double($0 % 7) }
        let s = StepCurves(steps: Array(1...n), loss: values, accuracy: values, learningRate: values, imagesPerSecond: values, stepsPerEpoch: nil)
        let loss = ReportCharts.steps(s, epochs: TrainingCurves())[0]
        XCTAssertLessThanOrEqual(loss.lines[0].x.count, ReportCharts.maxPointsPerLine)
        XCTAssertEqual(loss.lines[0].x.first, 1)
        XCTAssertEqual(loss.lines[0].x.last, Double(n), "the last step is drawn")
        let full = Smoothing.exponentialMovingAverage(values, weight: Smoothing.defaultWeight(count: n))
        XCTAssertEqual(loss.lines[1].y.last, full.last, "smoothed over every record, then thinned")
        XCTAssertEqual(ReportCharts.drawn(5), [0, 1, 2, 3, 4])
    }

    func testGalleryTriptychIsScaledEightTimes() {
        let raster = ReportPage.galleryRaster(item("FAKE", 0.9, 3))
        XCTAssertEqual(raster.width, 8 + 3 * (32 * 8 + 8))
        XCTAssertEqual(raster.height, 8 + 32 * 8 + 8)
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
