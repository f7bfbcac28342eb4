import Randomness
import XCTest
@testable import Evaluation

/// Precision-recall, calibration, histograms, per-group accuracy and confident mistakes.
final class ScoreAnalysisTests: XCTestCase {
    /// AP the slow, obvious way: the mean over positives of the precision among all samples
    /// scoring at least as high.
    func naiveAveragePrecision(_ scores: [Float], _ labels: [UInt8]) -> Double {
        let positives = labels.indices.filter { labels[$0] == 1 }
        return positives.map { i in
            let above = scores.indices.filter { scores[$0] >= scores[i] }
            return Double(above.filter { labels[$0] == 1 }.count) / Double(above.count)
        }.reduce(0, +) / Double(positives.count)
    }

    func testAveragePrecisionOfSklearnsExample() throws {
        // sklearn's docstring: average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.8333...
        XCTAssertEqual(try XCTUnwrap(PrecisionRecall.averagePrecision(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1])), 5.0 / 6, accuracy: 1e-12)
        let c = PrecisionRecall.curve(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1])
        XCTAssertEqual(c.recall, [0, 0.5, 0.5, 1, 1])
        XCTAssertEqual(c.precision, [1, 1, 0.5, 2.0 / 3, 0.5])
        XCTAssertEqual(c.thresholds.dropFirst().map { Float($0) }, [0.8, 0.4, 0.35, 0.1])
        XCTAssertNil(PrecisionRecall.averagePrecision(scores: [0.2, 0.3], labels: [0, 0]), "no positives")
    }

    func testAveragePrecisionEqualsTheNaiveOneWithTies() {
        var rng = SplitMix64(seed: 11)
        for trial in 0..<20 {
            let n = 5 + trial * 7
            // Scores on a coarse grid, so ties are common.
            let scores = (0..<n).map { _ in Float(Int(rng.next() % 11)) / 10 }
            var labels = (0..<n).map { _ in UInt8(rng.next() % 2) }
            labels[0] = 1
            XCTAssertEqual(PrecisionRecall.averagePrecision(scores: scores, labels: labels)!, naiveAveragePrecision(scores, labels),
                           accuracy: 1e-12, "trial \(trial)")
        }
    }

    func testCalibrationBinsOfAHandWorkedExample() {
        // Bins of width 0.25. [0, 0.25): 0.1 (REAL), 0.2 (FAKE) -> mean 0.15, fraction 0.5.
        // [0.5, 0.75): 0.6 (FAKE) -> 0.6, 1. [0.75, 1]: 0.8 (FAKE), 0.9 (REAL), 1.0 (FAKE) -> 0.9, 2/3.
        let c = Calibration(probabilities: [0.1, 0.2, 0.6, 0.8, 0.9, 1.0], labels: [0, 1, 1, 1, 0, 1], binCount: 4)
        XCTAssertEqual(c.bins.map(\.count), [2, 0, 1, 3])
        XCTAssertEqual(c.bins.map(\.lower), [0, 0.25, 0.5, 0.75])
        XCTAssertEqual(c.bins[0].meanPredicted!, 0.15, accuracy: 1e-7)
        XCTAssertEqual(c.bins[0].fractionFake, 0.5)
        XCTAssertNil(c.bins[1].meanPredicted)
        XCTAssertEqual(c.bins[3].meanPredicted!, 0.9, accuracy: 1e-7)
        XCTAssertEqual(c.bins[3].fractionFake!, 2.0 / 3, accuracy: 1e-12)
        let ece = 2.0 / 6 * 0.35 + 1.0 / 6 * 0.4 + 3.0 / 6 * (0.9 - 2.0 / 3)
        XCTAssertEqual(c.expectedCalibrationError, ece, accuracy: 1e-7)
        XCTAssertEqual(c.maximumCalibrationError, 0.4, accuracy: 1e-7)
        let perfect = Calibration(probabilities: [0, 0, 1, 1], labels: [0, 0, 1, 1])
        XCTAssertEqual(perfect.expectedCalibrationError, 0)
    }

    func testHistogramCountsEachClassAndPutsOneInTheLastBin() {
        let h = ScoreHistogram(probabilities: [0, 0.05, 0.5, 0.99, 1.0, 0.3], labels: [0, 0, 1, 1, 1, 0], binCount: 4)
        XCTAssertEqual(h.edges, [0, 0.25, 0.5, 0.75, 1])
        XCTAssertEqual(h.real, [2, 1, 0, 0])
        XCTAssertEqual(h.fake, [0, 0, 1, 2])
    }

    func testAccuracyPerGroupAndLabel() {
        let rows = GroupAccuracy.table(groups: ["cat", "cat", "dog", nil, "cat", "bird"], probabilities: [0.2, 0.7, 0.9, 0.1, 0.4, 0.5],
                                       labels: [0, 0, 1, 0, 1, 1], order: ["cat", "dog"])
        XCTAssertEqual(rows, [GroupAccuracy(group: "cat", label: 0, correct: 1, total: 2), GroupAccuracy(group: "cat", label: 1, correct: 0, total: 1),
                              GroupAccuracy(group: "dog", label: 0, correct: 0, total: 0), GroupAccuracy(group: "dog", label: 1, correct: 1, total: 1)])
        XCTAssertEqual(rows[0].accuracy, 0.5)
        XCTAssertNil(rows[2].accuracy)
    }

    func testConfidentMistakesAreTheSurestWrongOnes() {
        let p: [Float] = [0.9, 0.6, 0.99, 0.1, 0.3, 0.02, 0.7, 0.02]
        let l: [UInt8] = [0, 0, 0, 1, 1, 1, 1, 1]
        let m = ConfidentMistakes.indices(probabilities: p, labels: l, perKind: 2)
        XCTAssertEqual(m.realCalledFake, [2, 0])
        XCTAssertEqual(m.fakeCalledReal, [5, 7], "ties: lower index first")
        XCTAssertEqual(ConfidentMistakes.indices(probabilities: p, labels: l, perKind: 10).fakeCalledReal, [5, 7, 3, 4])
    }
}
