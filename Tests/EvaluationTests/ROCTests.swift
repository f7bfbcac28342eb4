import Randomness
import XCTest
@testable import Evaluation

final class ROCTests: XCTestCase {
    /// The definition: over all (positive, negative) pairs, 1 if the positive scores higher,
    /// 1/2 on a tie. O(n^2).
    func naiveAUC(_ scores: [Float], _ labels: [UInt8]) -> Double? {
        let pos = scores.indices.filter { labels[$0] == 1 }.map { scores[$0] }
        let neg = scores.indices.filter { labels[$0] == 0 }.map { scores[$0] }
        guard !pos.isEmpty, !neg.isEmpty else { return nil }
        var wins = 0.0
        for p in pos { for n in neg { wins += p > n ? 1 : (p == n ? 0.5 : 0) } }
        return wins / Double(pos.count * neg.count)
    }

    func trapezoid(_ fpr: [Double], _ tpr: [Double]) -> Double {
        var area = 0.0
        for i in 1..<fpr.count { area += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2 }
        return area
    }

    func randomSet(count: Int, levels: Int, seed: UInt64) -> ([Float], [UInt8]) {
        var rng = SplitMix64(seed: seed, stream: "roc-test")
        var scores: [Float] = [], labels: [UInt8] = []
        for _ in 0..<count {
            let label = UInt8(rng.nextIndex(below: 2))
            // Few levels -> many ties; positives lean higher so the AUC is not just 0.5.
            let level = min(levels - 1, rng.nextIndex(below: levels) + (label == 1 ? rng.nextIndex(below: 3) : 0))
            scores.append(Float(level) / Float(levels - 1))
            labels.append(label)
        }
        return (scores, labels)
    }

    func testAUCEqualsNaivePairwiseTwinWithTies() throws {
        for seed in 0..<20 as Range<UInt64> {
            let (scores, labels) = randomSet(count: 50 + Int(seed) * 13, levels: 2 + Int(seed % 7), seed: seed)
            let fast = try XCTUnwrap(ROC.auc(scores: scores, labels: labels))
            let naive = try XCTUnwrap(naiveAUC(scores, labels))
            XCTAssertEqual(fast, naive, accuracy: 1e-12, "seed \(seed)")
            // The full curve's trapezoidal area is the same number.
            let curve = ROC.curve(scores: scores, labels: labels)
            XCTAssertEqual(trapezoid(curve.fpr, curve.tpr), naive, accuracy: 1e-12, "seed \(seed)")
        }
    }

    func testReportCurveKeepsAreaWhenOnlyCollinearPointsAreDropped() throws {
        let (scores, labels) = randomSet(count: 300, levels: 40, seed: 99)
        let r = try ClassificationReport(probabilities: scores, labels: labels)
        XCTAssertLessThanOrEqual(r.rocCurve.fpr.count, 41)
        XCTAssertEqual(trapezoid(r.rocCurve.fpr, r.rocCurve.tpr), try XCTUnwrap(r.rocAUC), accuracy: 1e-12)
    }

    func testThinningKeepsEndpointsMonotonicityAndShape() throws {
        var rng = SplitMix64(seed: 5, stream: "thin")
        var scores: [Float] = [], labels: [UInt8] = []
        for _ in 0..<20_000 {
            let label = UInt8(rng.nextIndex(below: 2))
            scores.append(rng.nextUnitFloat() * 0.7 + (label == 1 ? 0.3 : 0))
            labels.append(label)
        }
        let full = ROC.curve(scores: scores, labels: labels)
        XCTAssertGreaterThan(full.fpr.count, 10_000)
        let r = try ClassificationReport(probabilities: scores, labels: labels)
        let c = r.rocCurve
        XCTAssertLessThanOrEqual(c.fpr.count, ClassificationReport.maxROCPoints)
        XCTAssertGreaterThan(c.fpr.count, 100)
        XCTAssertEqual(c.fpr.count, c.tpr.count)
        XCTAssertEqual(c.fpr.count, c.thresholds.count)
        XCTAssertEqual(c.fpr.first, 0); XCTAssertEqual(c.tpr.first, 0)
        XCTAssertEqual(c.fpr.last, 1); XCTAssertEqual(c.tpr.last, 1)
        XCTAssertGreaterThan(c.thresholds[0], Double(scores.max()!))
        for i in 1..<c.fpr.count {
            XCTAssertGreaterThanOrEqual(c.fpr[i], c.fpr[i - 1])
            XCTAssertGreaterThanOrEqual(c.tpr[i], c.tpr[i - 1])
            XCTAssertLessThan(c.thresholds[i], c.thresholds[i - 1])
        }
        // Every kept point is a point of the full curve, with its own threshold.
        let fullIndex = Dictionary(zip(full.thresholds, full.fpr.indices), uniquingKeysWith: { a, _ in a })
        var kept: [Int] = []
        for i in c.fpr.indices {
            let j = try XCTUnwrap(fullIndex[c.thresholds[i]])
            XCTAssertEqual(full.fpr[j], c.fpr[i]); XCTAssertEqual(full.tpr[j], c.tpr[i])
            kept.append(j)
        }
        // Between two kept points the full curve is either a straight line (nothing lost) or
        // spans at most one thinning step (2/128 in L1).
        for (a, b) in zip(kept, kept.dropFirst()) {
            let straight = (a...b).allSatisfy { j in
                abs((full.fpr[j] - full.fpr[a]) * (full.tpr[b] - full.tpr[a])
                    - (full.tpr[j] - full.tpr[a]) * (full.fpr[b] - full.fpr[a])) < 1e-12
            }
            let gap = full.fpr[b] - full.fpr[a] + full.tpr[b] - full.tpr[a]
            XCTAssertTrue(straight || gap <= 2.0 / 128 + 1e-12, "gap \(gap) between full points \(a) and \(b)")
        }
        XCTAssertEqual(trapezoid(c.fpr, c.tpr), try XCTUnwrap(r.rocAUC), accuracy: 2e-3)
    }

    func testCollinearPointsAreDropped() {
        // A straight diagonal with points along it, then a corner.
        let fpr = [0, 0.25, 0.5, 0.5, 0.5, 1.0]
        let tpr = [0, 0.25, 0.5, 0.75, 1.0, 1.0]
        XCTAssertEqual(ROC.thinnedIndices(fpr: fpr, tpr: tpr), [0, 2, 4, 5])
        XCTAssertEqual(ROC.thinnedIndices(fpr: [0, 1], tpr: [0, 1]), [0, 1])
    }
}
