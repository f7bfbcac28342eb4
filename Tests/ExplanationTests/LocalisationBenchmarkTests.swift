import Dataset
import Explanation
import Foundation
import Kernels
import Model
import TestSupport
import Training
import XCTest

/// Experiments that can fail, seeded, whose asserted margins hold on every OpenBLAS kernel
/// family: a trained detector's default map must find the artefact far better than the same
/// model with randomised weights, and must be non-empty for nearly every image of each class.
final class LocalisationBenchmarkTests: XCTestCase {
    /// `cifake bench explain`'s default run (about 30 s, nearly all of it training).
    ///
    /// The margin: the default method's energy in the box, trained minus randomised, measured
    /// under each OpenBLAS kernel family on an AMD EPYC Zen 4 (Sandybridge, Haswell, Zen,
    /// SkylakeX, Cooperlake): 0.586-0.650 with the moving artefact and 0.662 with the fixed one;
    /// each family trains a slightly different model, and the spread between them is 0.064. The
    /// assertion is 0.25, less than half the smallest separation measured: a tolerance of 0.33,
    /// five times the spread seen between kernels. The model must first have learnt the artefact
    /// (test accuracy >= 0.95; 1.0 under every family), so a run that never finds it fails by
    /// name instead of as a small separation.
    func testDefaultMethodLocalisesTheArtefactAndFailsOnRandomisedWeights() throws {
        let result = try ExplanationBenchmark.run(ExplanationBenchmark.Options())
        for line in result.lines { print(line) }
        for condition in result.conditions {
            XCTAssertGreaterThanOrEqual(condition.testAccuracy, 0.95, "\(condition.condition): the detector learned the artefact")
            let m = try XCTUnwrap(condition.methods.first { $0.method == ExplanationSettings.defaultMethod })
            XCTAssertGreaterThan(m.separation, 0.25, "\(condition.condition): \(m.method) trained \(m.trainedEnergy), randomised \(m.randomEnergy)")
            XCTAssertFalse(m.survivesRandomisation, "\(condition.condition): \(m.method) is not flagged")
            XCTAssertGreaterThanOrEqual(min(m.nonEmptyReal, m.nonEmptyFake), 0.95, "\(condition.condition): non-empty maps for each class")
        }
        XCTAssertEqual(result.chosen, ExplanationSettings.defaultMethod, "the benchmark chooses the default")
    }

    /// The moving set: the boxes are where the artefact is, inside the image, never on the decoy.
    func testMovingArtefactBoxesAreWhereTheImagesDiffer() {
        let (set, boxes) = ExplanationBenchmark.dataset(.moving, perClass: 20, seed: 3, split: "test")
        var rows = Set<Int>()
        for i in stride(from: 0, to: set.count, by: 2) {
            XCTAssertEqual(set.labels[i], 0)
            XCTAssertNil(boxes[i])
            let box = try! XCTUnwrap(boxes[i + 1])
            rows.insert(box.rows.lowerBound)
            for y in 0..<32 {
                for x in 0..<32 {
                    let k = (y * 32 + x) * 3
                    let differs = set.pixels[i * 3072 + k] != set.pixels[(i + 1) * 3072 + k]
                    XCTAssertEqual(differs, box.contains(row: y, col: x), "image \(i / 2), pixel (\(y), \(x))")
                }
            }
        }
        XCTAssertGreaterThan(rows.count, 10, "the artefact moves")
    }

    /// On real CIFAKE (when ../shared holds the sample): a model trained with the default recipe
    /// (Config/cnn2d-d32.yaml, 3 epochs instead of 20: about 25 s) gives a non-empty default map
    /// for at least 95% of the test images of each class, explained as predicted. Measured 100.0%
    /// of REAL and FAKE for HiResCAM after 5 epochs (Grad-CAM: 100.0% and 99.9%).
    func testDefaultMapIsRarelyEmptyOnRealImages() throws {
        let sample = Paths.shared.appendingPathComponent("data/cifake-sample").path
        guard FileManager.default.fileExists(atPath: sample) else { throw XCTSkip("\(sample) is absent") }
        var config = try ConfigFile.load(Paths.packageRoot.appendingPathComponent("Config/cnn2d-d32.yaml").path)
        config.epochs = 3
        let dataset = try CIFAKEDataset.load(path: sample, options: config.loadOptions) { _ in }
        let trainer = Trainer(config: config, train: dataset.train)
        for epoch in 0..<config.epochs {
            let order = trainer.order(epoch: epoch)
            for s in 0..<trainer.stepsPerEpoch { _ = try trainer.step(epoch: epoch, stepInEpoch: s, order: order) }
        }
        let share = ExplanationBenchmark.nonEmptyShares(network: trainer.network, test: dataset.test, methods: [ExplanationSettings.defaultMethod])[0]
        print("non-empty \(ExplanationSettings.defaultMethod.displayName) maps on \(dataset.test.count) real test images: REAL \(share.real), FAKE \(share.fake)")
        XCTAssertGreaterThanOrEqual(share.real, 0.95)
        XCTAssertGreaterThanOrEqual(share.fake, 0.95)
    }
}
