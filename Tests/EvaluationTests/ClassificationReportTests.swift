import Foundation
import Randomness
import XCTest
@testable import Evaluation

final class ClassificationReportTests: XCTestCase {
    // REAL: 0.1 0.2 0.6 0.4 -> TN 3, FP 1.  FAKE: 0.9 0.8 0.3 0.7 0.5 0.2 -> TP 4, FN 2.
    let probabilities: [Float] = [0.1, 0.2, 0.6, 0.4, 0.9, 0.8, 0.3, 0.7, 0.5, 0.2]
    let labels: [UInt8] = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]

    func testHandComputedSmallCase() throws {
        let r = try ClassificationReport(probabilities: probabilities, labels: labels)
        XCTAssertEqual(r.confusionMatrix.matrix, [[3, 1], [2, 4]])
        XCTAssertEqual(r.confusionMatrix.labels, ["REAL", "FAKE"])
        XCTAssertEqual(r.confusionMatrix.truePositives, 4)
        XCTAssertEqual(r.confusionMatrix.falseNegatives, 2)
        XCTAssertEqual(r.samples, 10)
        XCTAssertEqual(r.accuracy, 0.7, accuracy: 1e-12)
        XCTAssertEqual(r.perClass.fake.precision, 0.8, accuracy: 1e-12)
        XCTAssertEqual(r.perClass.fake.recall, 4.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(r.perClass.fake.f1, 8.0 / 11, accuracy: 1e-12)
        XCTAssertEqual(r.perClass.fake.support, 6)
        XCTAssertEqual(r.perClass.real.precision, 0.6, accuracy: 1e-12)
        XCTAssertEqual(r.perClass.real.recall, 0.75, accuracy: 1e-12)
        XCTAssertEqual(r.perClass.real.f1, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(r.perClass.real.support, 4)
        XCTAssertEqual(r.precision, 0.7, accuracy: 1e-12)
        XCTAssertEqual(r.recall, (0.75 + 4.0 / 6) / 2, accuracy: 1e-12)
        XCTAssertEqual(r.f1, 23.0 / 33, accuracy: 1e-12)
        // Pairs won by each positive: 4, 4, 2, 4, 3, 1.5 (0.2 ties the negative 0.2) -> 18.5 / 24.
        XCTAssertEqual(try XCTUnwrap(r.rocAUC), 18.5 / 24, accuracy: 1e-12)
        let expectedLoss = -(log(0.9) + log(0.8) + log(0.4) + log(0.6)  // REAL: log(1 - p)
            + log(0.9) + log(0.8) + log(0.3) + log(0.7) + log(0.5) + log(0.2)) / 10
        XCTAssertEqual(r.logLoss, expectedLoss, accuracy: 1e-6)
    }

    func testThresholdIsInclusiveAndMovesPredictions() throws {
        // 0.5 is FAKE at threshold 0.5 (>=), REAL at 0.55.
        let r = try ClassificationReport(probabilities: probabilities, labels: labels, threshold: 0.55)
        XCTAssertEqual(r.confusionMatrix.matrix, [[3, 1], [3, 3]])
        XCTAssertEqual(r.threshold, 0.55)
        // The AUC does not depend on the threshold.
        XCTAssertEqual(try XCTUnwrap(r.rocAUC), 18.5 / 24, accuracy: 1e-12)
    }

    func testPerfectAndInvertedClassifiers() throws {
        let labels: [UInt8] = [0, 1, 0, 1, 1, 0]
        let perfect: [Float] = [0.1, 0.9, 0.2, 0.8, 0.7, 0.3]
        let p = try ClassificationReport(probabilities: perfect, labels: labels)
        XCTAssertEqual(p.rocAUC, 1)
        XCTAssertEqual(p.accuracy, 1)
        XCTAssertEqual(p.f1, 1)
        XCTAssertEqual(p.rocCurve.fpr, [0, 0, 1])
        XCTAssertEqual(p.rocCurve.tpr, [0, 1, 1])

        let inverted = perfect.map { 1 - $0 }
        let q = try ClassificationReport(probabilities: inverted, labels: labels)
        XCTAssertEqual(q.rocAUC, 0)
        XCTAssertEqual(q.accuracy, 0)
        XCTAssertEqual(q.confusionMatrix.matrix, [[0, 3], [3, 0]])
        XCTAssertEqual(q.rocCurve.fpr, [0, 1, 1])
        XCTAssertEqual(q.rocCurve.tpr, [0, 0, 1])

        // All scores equal: one diagonal segment, AUC one half.
        let flat = try ClassificationReport(probabilities: [Float](repeating: 0.5, count: 6), labels: labels)
        XCTAssertEqual(flat.rocAUC, 0.5)
        XCTAssertEqual(flat.rocCurve.fpr, [0, 1])
    }

    func testSingleClassHasNoAUCAndEncodesWithoutNaN() throws {
        let r = try ClassificationReport(probabilities: [0.1, 0.7, 0.2], labels: [0, 0, 0])
        XCTAssertNil(r.rocAUC)
        XCTAssertEqual(r.perClass.fake.precision, 0)  // one FP, no TP
        XCTAssertEqual(r.perClass.fake.recall, 0)  // no FAKE samples
        XCTAssertEqual(r.perClass.fake.f1, 0)
        XCTAssertEqual(r.perClass.fake.support, 0)
        XCTAssertEqual(r.rocCurve.fpr.first, 0)
        XCTAssertEqual(r.rocCurve.fpr.last, 1)
        XCTAssertEqual(r.rocCurve.tpr, r.rocCurve.tpr.map { _ in 0 })

        // JSONEncoder throws on NaN or infinity, so encoding at all proves there are none.
        let data = try JSONEncoder().encode(r)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertTrue(object["roc_auc"] is NSNull, "roc_auc must be present as null")
        XCTAssertEqual(try JSONDecoder().decode(ClassificationReport.self, from: data), r)

        // Only FAKE samples, none predicted FAKE: REAL precision is 0 (zero_division=0).
        let s = try ClassificationReport(probabilities: [0.1, 0.2], labels: [1, 1])
        XCTAssertEqual(s.perClass.real.precision, 0)
        XCTAssertEqual(s.perClass.fake.precision, 0)
        XCTAssertNoThrow(try JSONEncoder().encode(s))
    }

    func testJSONHasExactlyTheRequiredKeys() throws {
        let r = try ClassificationReport(probabilities: probabilities, labels: labels)
        let data = try JSONEncoder().encode(r)
        let top = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(Set(top.keys), ["accuracy", "precision", "recall", "f1", "per_class", "confusion_matrix",
                                       "roc_auc", "roc_curve", "log_loss", "samples", "threshold"])
        let perClass = try XCTUnwrap(top["per_class"] as? [String: [String: Any]])
        XCTAssertEqual(Set(perClass.keys), ["REAL", "FAKE"])
        for (_, metrics) in perClass {
            XCTAssertEqual(Set(metrics.keys), ["precision", "recall", "f1", "support"])
        }
        XCTAssertEqual(perClass["FAKE"]?["support"] as? Int, 6)
        let matrix = try XCTUnwrap(top["confusion_matrix"] as? [String: Any])
        XCTAssertEqual(Set(matrix.keys), ["labels", "matrix"])
        XCTAssertEqual(matrix["labels"] as? [String], ["REAL", "FAKE"])
        XCTAssertEqual(matrix["matrix"] as? [[Int]], [[3, 1], [2, 4]])
        let curve = try XCTUnwrap(top["roc_curve"] as? [String: [Double]])
        XCTAssertEqual(Set(curve.keys), ["fpr", "tpr", "thresholds"])
        XCTAssertEqual(try JSONDecoder().decode(ClassificationReport.self, from: data), r)
    }

    func testInvalidInputsThrowNamedErrors() {
        func error(_ p: [Float], _ l: [UInt8], threshold: Float = 0.5) -> EvaluationError? {
            do {
                _ = try ClassificationReport(probabilities: p, labels: l, threshold: threshold)
                return nil
            } catch {
                return error
            }
        }
        XCTAssertEqual(error([0.1], [0, 1]), .countMismatch(probabilities: 1, labels: 2))
        XCTAssertEqual(error([], []), .empty)
        XCTAssertEqual(error([0.1, 0.2], [0, 2]), .invalidLabel(index: 1, found: 2))
        let e = error([0.1, .nan], [0, 1])
        guard case .nonFiniteProbability(index: 1, _)? = e else { return XCTFail("got \(String(describing: e))") }
        XCTAssertTrue(e!.description.contains("probabilities[1]"))
        XCTAssertEqual(error([0.1], [0], threshold: .infinity), .nonFiniteThreshold(.infinity))
    }

    func testTableShowsRowsAveragesAndMatrix() throws {
        let table = try ClassificationReport(probabilities: probabilities, labels: labels).table()
        let lines = table.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertTrue(lines.contains(["precision", "recall", "f1-score", "support"]))
        XCTAssertTrue(lines.contains(["REAL", "0.6000", "0.7500", "0.6667", "4"]))
        XCTAssertTrue(lines.contains(["FAKE", "0.8000", "0.6667", "0.7273", "6"]))
        XCTAssertTrue(lines.contains(["accuracy", "0.7000", "10"]))
        XCTAssertTrue(lines.contains(["macro", "avg", "0.7000", "0.7083", "0.6970", "10"]))
        // Weighted: precision (0.6*4 + 0.8*6)/10 = 0.72, recall = accuracy.
        XCTAssertTrue(lines.contains(["weighted", "avg", "0.7200", "0.7000", "0.7030", "10"]))
        XCTAssertTrue(lines.contains(["ROC", "AUC:", "0.7708"]))
        XCTAssertTrue(lines.contains(["REAL", "FAKE"]))
        XCTAssertTrue(lines.contains(["REAL", "3", "1"]))
        XCTAssertTrue(lines.contains(["FAKE", "2", "4"]))
    }

    func testRunComparisonMarkdown() throws {
        let a = try ClassificationReport(probabilities: probabilities, labels: labels)
        let b = try ClassificationReport(probabilities: [0.1, 0.9], labels: [0, 1])
        let c = try ClassificationReport(probabilities: [0.1, 0.9], labels: [0, 0])
        // One class: TN 1, FP 1 -> REAL precision 1, recall 0.5, F1 2/3; FAKE all 0.
        let md = RunComparison([("CNN2D D=32", a), ("ext | GAP", b), ("one class", c)]).markdown()
        let rows = md.split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.count, 5)
        XCTAssertEqual(rows[0], "| Configuration | Accuracy (%) | Precision (%) | Recall (%) | F-score (%) | ROC AUC (%) |")
        XCTAssertEqual(rows[2], "| CNN2D D=32 | 70.000 | 70.000 | 70.833 | 69.697 | 77.083 |")
        XCTAssertEqual(rows[3], "| ext \\| GAP | **100.000** | **100.000** | **100.000** | **100.000** | **100.000** |")
        XCTAssertEqual(rows[4], "| one class | 50.000 | 50.000 | 25.000 | 33.333 | n/a |")
    }
}
