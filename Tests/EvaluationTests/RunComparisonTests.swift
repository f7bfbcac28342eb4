import Foundation
import XCTest
@testable import Evaluation

final class RunComparisonTests: XCTestCase {
    func testRunAndEpochColumnsAndJSON() throws {
        let good = try ClassificationReport(probabilities: [0.1, 0.9, 0.8, 0.3], labels: [0, 1, 1, 0])
        let oneClass = try ClassificationReport(probabilities: [0.1, 0.9], labels: [0, 0])
        let comparison = RunComparison([
            RunComparison.Entry(name: "CNN2D D=32", report: good, run: "d32|a", epochs: 20),
            RunComparison.Entry(name: "CNN2D extended (GAP + Dropout)", report: oneClass, run: "ext", epochs: nil),
        ])
        let rows = comparison.markdown().split(separator: "\n").map(String.init)
        XCTAssertEqual(rows[0], "| Run | Configuration | Accuracy (%) | Precision (%) | Recall (%) | F-score (%) | ROC AUC (%) | Epochs |")
        XCTAssertEqual(rows[1], "|:--|:--|--:|--:|--:|--:|--:|--:|")
        XCTAssertEqual(rows[2], "| d32\\|a | CNN2D D=32 | **100.000** | **100.000** | **100.000** | **100.000** | **100.000** | 20 |")
        XCTAssertEqual(rows[3], "| ext | CNN2D extended (GAP + Dropout) | 50.000 | 50.000 | 25.000 | 33.333 | n/a | n/a |")

        let json = try JSONSerialization.jsonObject(with: Data(comparison.json().utf8)) as! [String: Any]
        let runs = json["runs"] as! [[String: Any]]
        XCTAssertEqual(runs.count, 2)
        XCTAssertEqual(runs[0]["run"] as? String, "d32|a")
        XCTAssertEqual(runs[0]["configuration"] as? String, "CNN2D D=32")
        XCTAssertEqual(runs[0]["epochs"] as? Int, 20)
        XCTAssertEqual(runs[0]["roc_auc"] as? Double, 1)
        XCTAssertEqual(runs[1]["accuracy"] as? Double, 0.5)
        XCTAssertTrue(runs[1]["roc_auc"] is NSNull, "unknown AUC is null, not absent")
        XCTAssertTrue(runs[1]["epochs"] is NSNull)
        XCTAssertEqual(runs[1]["samples"] as? Int, 2)
    }

    func testWithoutRunsOrEpochsTheTableKeepsItsOldColumns() throws {
        let report = try ClassificationReport(probabilities: [0.1, 0.9], labels: [0, 1])
        let rows = RunComparison([("only", report)]).markdown().split(separator: "\n").map(String.init)
        XCTAssertEqual(rows[0], "| Configuration | Accuracy (%) | Precision (%) | Recall (%) | F-score (%) | ROC AUC (%) |")
        XCTAssertEqual(rows[2], "| only | 100.000 | 100.000 | 100.000 | 100.000 | 100.000 |", "a single row has nothing to be best against")
    }
}
