import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Reporting

final class PlotTests: XCTestCase {
    func testNumbersAreShortAndNeverNegativeZero() {
        XCTAssertEqual(SVG.n(1), "1")
        XCTAssertEqual(SVG.n(1.5), "1.5")
        XCTAssertEqual(SVG.n(1.234), "1.23")
        XCTAssertEqual(SVG.n(-0.001), "0")
        XCTAssertEqual(SVG.n(.nan), "0")
    }

    func testAPathBreaksAtAMissingValue() {
        XCTAssertEqual(SVG.path([(0, 0), (1, 2), (2, .nan), (3, 4), (4, 5)]), "M0 0L1 2 M3 4L4 5")
        XCTAssertEqual(SVG.path([(.nan, 0)]), "")
    }

    func testTextIsEscaped() {
        XCTAssertEqual(SVG.text("a<b & \"c\"", x: 1, y: 2), "<text x=\"1\" y=\"2\">a&lt;b &amp; &quot;c&quot;</text>\n")
    }

    func testAxesAreNiceAndCoverTheData() {
        var p = Plot(id: "p", title: "t", xLabel: "x", yLabel: "y")
        p.lines = [Plot.Line(name: "a", x: [1, 2, 3], y: [0.42, 0.61, 0.73], color: "#000")]
        p.xMinimumStep = 1
        let a = p.axes()
        XCTAssertEqual(a.xTicks, [1, 2, 3], "whole epochs")
        XCTAssertEqual(a.xStep, 1)
        XCTAssertLessThanOrEqual(a.y.lowerBound, 0.42); XCTAssertGreaterThanOrEqual(a.y.upperBound, 0.73)
        for t in a.yTicks { XCTAssertEqual((t / a.yStep).rounded() * a.yStep, t, accuracy: 1e-9) }
        XCTAssertTrue([0.05, 0.1].contains(a.yStep), "\(a.yStep)")

        p.xDomain = 0...1; p.yDomain = 0...1; p.xMinimumStep = 0
        let fixed = p.axes()
        XCTAssertEqual(fixed.xTicks.count, 6)
        for (t, expected) in zip(fixed.xTicks, [0, 0.2, 0.4, 0.6, 0.8, 1.0]) { XCTAssertEqual(t, expected, accuracy: 1e-9) }
        XCTAssertEqual(fixed.y, 0...1)
    }

    func testBarsStartAtZeroAndCategoriesAreLabelled() throws {
        var p = Plot(id: "bars", title: "Bars", xLabel: "class", yLabel: "accuracy")
        p.xCategories = ["cat", "dog"]
        p.bars = [Plot.BarSeries(name: "REAL", color: "#00f", bars: [Plot.Bar(x0: 0.1, x1: 0.5, y: 0.8), Plot.Bar(x0: 1.1, x1: 1.5, y: 0.3)])]
        let a = p.axes()
        XCTAssertEqual(a.x, 0...2)
        XCTAssertEqual(a.y.lowerBound, 0)
        let root = try XMLDocument(xmlString: p.svg(), options: []).rootElement()!
        let texts = try root.nodes(forXPath: "//text").compactMap(\.stringValue)
        XCTAssertTrue(texts.contains("cat") && texts.contains("dog") && texts.contains("REAL") && texts.contains("Bars"))
        // Two data bars (inside the marks group) with heights in the ratio 0.8 : 0.3.
        let rects = try root.nodes(forXPath: "//g[@class='marks']/rect").compactMap { $0 as? XMLElement }
        XCTAssertEqual(rects.count, 2)
        let heights = rects.compactMap { $0.attribute(forName: "height")?.stringValue.flatMap(Double.init) }
        XCTAssertEqual(heights[0] / heights[1], 0.8 / 0.3, accuracy: 0.02)
    }

    func testSmoothingIsADebiasedMovingAverage() {
        let s = Smoothing.exponentialMovingAverage([1, 2, .nan, 4], weight: 0.5)
        XCTAssertEqual(s[0], 1, accuracy: 1e-12, "debiased: the first value is itself")
        XCTAssertEqual(s[1], (0.25 * 1 + 0.5 * 2) / 0.75, accuracy: 1e-12)
        XCTAssertTrue(s[2].isNaN)
        XCTAssertEqual(s[3], (0.125 * 1 + 0.25 * 2 + 0.5 * 4) / 0.875, accuracy: 1e-12)
        XCTAssertEqual(Smoothing.exponentialMovingAverage([3, 5], weight: 0), [3, 5])
        XCTAssertEqual(Smoothing.exponentialMovingAverage([2, 2, 2, 2], weight: 0.9), [2, 2, 2, 2].map { _ in 2 }, "a constant stays")
        XCTAssertEqual(Smoothing.defaultWeight(count: 10), 0.6)
        XCTAssertEqual(Smoothing.defaultWeight(count: 400), 0.95, accuracy: 1e-12)
        XCTAssertEqual(Smoothing.defaultWeight(count: 100_000), 0.98)
    }

    func testConfusionMatrixShowsCountsAndRowShares() throws {
        let svg = ConfusionMatrixFigure.svg(id: "cm", labels: ["REAL", "FAKE"], counts: [[3, 1], [2, 4]], title: "CM")
        let root = try XMLDocument(xmlString: svg, options: []).rootElement()!
        let texts = try root.nodes(forXPath: "//text").compactMap(\.stringValue)
        for t in ["3", "1", "2", "4", "75.0% of REAL", "25.0% of REAL", "33.3% of FAKE", "66.7% of FAKE", "predicted", "true"] {
            XCTAssertTrue(texts.contains(t), "shows \(t)")
        }
    }

    func testColorBarLabelsItsScale() throws {
        let svg = ColorBarFigure.svg(id: "bar", top: 0.5, height: 272)
        let root = try XMLDocument(xmlString: svg, options: []).rootElement()!
        XCTAssertEqual(try root.nodes(forXPath: "//text").compactMap(\.stringValue), ["0", "0.250", "0.500"])
        XCTAssertEqual(try root.nodes(forXPath: "//rect").count, 64 + 1)
    }
}
