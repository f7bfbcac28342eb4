import Evaluation
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Reporting

final class ComparisonPageTests: XCTestCase {
    func run(_ name: String, digest: String?, accuracyShift: Double = 0) throws -> ComparisonPage.Run {
        let metrics = try ClassificationReport(probabilities: [0.1, 0.4, 0.6, 0.9], labels: [0, 0, 1, 1])
        let curves = TrainingCurves(epochs: [1, 2], trainLoss: [0.6, 0.5], validationLoss: [0.62, 0.55], trainAccuracy: [0.6, 0.7],
                                    validationAccuracy: [0.58 + accuracyShift, 0.66 + accuracyShift], testAccuracy: [nil, nil])
        let steps = StepCurves(steps: [5, 10, 15, 20], loss: [0.7, 0.6, 0.55, 0.5], accuracy: [0.5, 0.6, 0.65, 0.7],
                               learningRate: [1e-3, 1e-3, 1e-3, 1e-3], imagesPerSecond: [900, 950, 940, 960], stepsPerEpoch: 10)
        return ComparisonPage.Run(name: name, configuration: "CNN2D D=32", metrics: metrics, curves: curves, steps: steps,
                                  testDigest: digest, epochs: 2)
    }

    func testRunsOnOneSetOfAxesWithTheirMetricsSideBySide() throws {
        let html = ComparisonPage.build([try run("d32", digest: "abc"), try run("ext<1>", digest: "abc", accuracyShift: 0.1)])
        let svgs = ReportPageTests.svgs(html)
        XCTAssertEqual(svgs.map(\.id), ComparisonPage.figureIds)
        for (id, markup) in svgs {
            let root = try ReportPageTests.parse(markup)
            let legend = ReportPageTests.texts(root)
            XCTAssertTrue(legend.contains { $0.hasPrefix("d32") } && legend.contains { $0.hasPrefix("ext<1>") }, "\(id) names both runs")
        }
        XCTAssertFalse(html.contains("test-set-warning"), "same test set: no warning")
        XCTAssertTrue(html.contains("ext&lt;1&gt;"))
        XCTAssertEqual(html.components(separatedBy: "<tr><th><span class=\"swatch\"").count - 1, 2, "one row per run")
        XCTAssertFalse(html.contains("url(") || html.contains("<script") || html.contains("http:"))
    }

    func testAWarningWhenTestSetsDifferOrCannotBeTold() throws {
        let differ = ComparisonPage.build([try run("a", digest: "abc"), try run("b", digest: "def")])
        XCTAssertTrue(differ.contains("<p id=\"test-set-warning\" class=\"warning\">The runs were tested on different test sets"))
        XCTAssertTrue(differ.contains("a: abc, b: def"))
        let unknown = ComparisonPage.testSetWarning([try run("a", digest: "abc"), try run("old", digest: nil)])
        XCTAssertEqual(unknown, "Cannot tell whether the runs share a test set: no test digest recorded for old (metrics.json from an older cifake).")
        XCTAssertNil(ComparisonPage.testSetWarning([try run("only", digest: nil)]))
        var smaller = try run("b", digest: "abc")
        smaller.metrics = try ClassificationReport(probabilities: [0.1, 0.9], labels: [0, 1])
        XCTAssertTrue(ComparisonPage.testSetWarning([try run("a", digest: "abc"), smaller])?.hasPrefix("The runs were tested on different numbers") == true)
    }

    func testFoldersOfTheSameNameAreToldApartByPath() throws {
        var a = try run("run", digest: "abc"), b = try run("run", digest: "abc")
        a.path = "runs/a/run"; b.path = "runs/b/run"
        let html = ComparisonPage.build([a, b])
        XCTAssertTrue(html.contains("runs/a/run") && html.contains("runs/b/run"))
    }
}
