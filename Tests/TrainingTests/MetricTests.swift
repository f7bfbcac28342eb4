import Evaluation
import Training
import XCTest

/// One metric type behind `best_metric` and `promotion_metric`, each setting spelled as before.
final class MetricTests: XCTestCase {
    func testEachSettingKeepsItsSpellings() {
        XCTAssertEqual(Metric.validationNames, ["val_accuracy", "val_loss", "val_f1", "val_auc"])
        XCTAssertEqual(Metric.promotionNames, ["accuracy", "f1", "auc", "log_loss"])
        for metric in Metric.allCases {
            XCTAssertEqual(Metric(validationName: metric.validationName), metric)
            XCTAssertEqual(Metric(promotionName: metric.promotionName), metric)
        }
        XCTAssertEqual(Metric(validationName: "val_loss"), .loss)
        XCTAssertEqual(Metric(promotionName: "log_loss"), .loss)
        // Neither setting takes the other's spelling, nor a half of one.
        for name in ["accuracy", "loss", "log_loss", "val_log_loss", "val_", "val_precision", ""] {
            XCTAssertNil(Metric(validationName: name), name)
        }
        for name in ["val_accuracy", "loss", "val_loss", "precision", ""] {
            XCTAssertNil(Metric(promotionName: name), name)
        }
    }

    func testOnlyLossIsBetterLowerAndImprovementIsStrict() {
        XCTAssertEqual(Metric.allCases.filter { !$0.higherIsBetter }, [.loss])
        XCTAssertTrue(Metric.accuracy.improves(0.9, on: 0.8))
        XCTAssertFalse(Metric.accuracy.improves(0.8, on: 0.8), "a tie is no improvement")
        XCTAssertTrue(Metric.loss.improves(0.2, on: 0.3))
        XCTAssertFalse(Metric.loss.improves(0.3, on: 0.2))
        XCTAssertTrue(Metric.auc.improves(0, on: nil), "anything beats nothing")
    }

    func testValueOfAReportPicksItsField() throws {
        let report = try ClassificationReport(probabilities: [0.9, 0.2, 0.6, 0.4], labels: [1, 0, 0, 1])
        XCTAssertEqual(Metric.accuracy.value(of: report), report.accuracy)
        XCTAssertEqual(Metric.loss.value(of: report), report.logLoss)
        XCTAssertEqual(Metric.f1.value(of: report), report.f1)
        XCTAssertEqual(Metric.auc.value(of: report), report.rocAUC)
        let oneClass = try ClassificationReport(probabilities: [0.9, 0.8], labels: [1, 1])
        XCTAssertNil(Metric.auc.value(of: oneClass), "undefined on a set of one class")
    }
}
