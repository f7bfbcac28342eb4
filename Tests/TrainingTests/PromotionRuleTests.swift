import Training
import XCTest

final class PromotionRuleTests: XCTestCase {
    func testHigherIsBetterMetricsPromoteAtOrAboveThePromotedValuePlusTheMargin() {
        // Binary fractions, so that "exactly at the threshold" is exact.
        let rule = PromotionRule(metric: .accuracy, margin: 0.125)
        XCTAssertTrue(rule.decide(candidate: 0.875, promoted: 0.75).promote, "exactly at the threshold promotes")
        XCTAssertTrue(rule.decide(candidate: 0.95, promoted: 0.75).promote)
        XCTAssertFalse(rule.decide(candidate: 0.8, promoted: 0.75).promote, "better, but not by the margin")
        XCTAssertFalse(rule.decide(candidate: 0.5, promoted: 0.75).promote)
        XCTAssertEqual(rule.decide(candidate: 0.8, promoted: 0.75).threshold, 0.875)
        XCTAssertEqual(rule.decide(candidate: 0.8, promoted: 0.75).reason, "candidate accuracy 0.8 < promoted 0.75 + margin 0.125 = 0.875")
    }

    func testAZeroMarginLetsATiePromoteAndANegativeOneToleratesARegression() {
        XCTAssertTrue(PromotionRule(metric: .f1, margin: 0).decide(candidate: 0.9, promoted: 0.9).promote)
        XCTAssertFalse(PromotionRule(metric: .f1, margin: 0).decide(candidate: 0.899, promoted: 0.9).promote)
        XCTAssertTrue(PromotionRule(metric: .auc, margin: -0.01).decide(candidate: 0.895, promoted: 0.9).promote)
        XCTAssertFalse(PromotionRule(metric: .auc, margin: -0.01).decide(candidate: 0.885, promoted: 0.9).promote)
    }

    func testLogLossIsLowerIsBetter() {
        let rule = PromotionRule(metric: .loss, margin: 0.125)
        XCTAssertTrue(rule.decide(candidate: 0.125, promoted: 0.25).promote, "exactly the margin lower promotes")
        XCTAssertFalse(rule.decide(candidate: 0.2, promoted: 0.25).promote)
        XCTAssertFalse(rule.decide(candidate: 0.5, promoted: 0.25).promote, "a higher loss is worse")
        XCTAssertEqual(rule.decide(candidate: 0.2, promoted: 0.25).reason, "candidate log_loss 0.2 > promoted 0.25 - margin 0.125 = 0.125")
    }

    func testTheFirstCandidateIsPromoted() {
        let d = PromotionRule(metric: .accuracy, margin: 1).decide(candidate: 0.1, promoted: nil)
        XCTAssertTrue(d.promote)
        XCTAssertNil(d.threshold)
    }

    func testTheConfigurationRefusesAnUnknownMetricAndANonFiniteMargin() {
        var config = TrainingConfig()
        config.promotionMetric = "precision"
        config.promotionMargin = .nan
        let problems = config.problems()
        XCTAssertTrue(problems.contains { $0.hasPrefix("promotion_metric: found 'precision', expected one of 'accuracy', 'f1', 'auc', 'log_loss'") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.hasPrefix("promotion_margin: found nan") }, "\(problems)")
        XCTAssertEqual(Retraining.problems(TrainingConfig()).count, 2, "registry and data are required")
    }
}
