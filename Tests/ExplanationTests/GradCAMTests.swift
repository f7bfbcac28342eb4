import Dataset
import Explanation
import Kernels
import Model
import Training
import XCTest

/// An experiment that can fail: on a synthetic set whose classes differ only by an artefact in a
/// known 8x8 block (6% of the image), a trained detector's Grad-CAM for FAKE must concentrate on
/// that block, and the map must change when the weights are randomised.
final class GradCAMTests: XCTestCase {
    func testHeatmapFindsTheArtefactAndDependsOnTheWeights() throws {
        var config = TrainingConfig()
        config.dense = 32
        config.batchSize = 32
        config.epochs = 4
        config.augmentFlip = false
        config.augmentShift = 0
        config.seed = 3
        config.threads = 2
        let train = Self.synthetic(perClass: 600, split: "train"), test = Self.synthetic(perClass: 40, split: "test")
        let trainer = Trainer(config: config, train: train)
        for epoch in 0..<config.epochs {
            let order = trainer.order(epoch: epoch)
            for s in 0..<trainer.stepsPerEpoch { _ = try trainer.step(epoch: epoch, stepInEpoch: s, order: order) }
        }
        // FAKE test images only.
        let fakes = test.subset((0..<test.count).filter { test.labels[$0] == 1 })
        let images = FloatBuffer(count: fakes.count * 3072)
        for i in 0..<images.count { images.pointer[i] = Float(fakes.pixels[i]) / 255 }
        let explanations = GradCAM.explain(network: trainer.network, images: images.pointer, count: fakes.count, target: .fake)
        XCTAssertGreaterThan(explanations.map { Double($0.probability) }.reduce(0, +) / Double(fakes.count), 0.9, "the detector learned the artefact")

        // Grad-CAM sees at the last convolution's resolution (13x13 cells, each looking at 8x8
        // input pixels), so the artefact's 8x8 block shows as the block widened by the receptive
        // field's reach: rows and columns 4..<20, a quarter of the image.
        let region = SyntheticCIFAKE.artefactRegion
        let rows = (region.rows.lowerBound - 4)..<(region.rows.upperBound + 4), cols = (region.cols.lowerBound - 4)..<(region.cols.upperBound + 4)
        func share(_ maps: [[Float]]) -> Double {
            var inside = 0.0, total = 0.0
            for map in maps {
                for y in 0..<32 { for x in 0..<32 {
                    let v = Double(map[y * 32 + x])
                    total += v
                    if rows.contains(y) && cols.contains(x) { inside += v }
                } }
            }
            return inside / max(total, 1e-12)
        }
        let trained = explanations.map(\.heatmap)
        let trainedShare = share(trained)
        // More of the mass than a uniform map would put there (a quarter: the region's area).
        // Measured 0.41 (AVX-512) to 0.55 (AVX2): the seeded training ends in a different model on
        // each CPU kind's kernels, and plain Grad-CAM localises weakly. Randomised weights put about
        // half there too: random filters respond to the checkerboard's strong contrast, and
        // Grad-CAM's channel weights are spatial means, so a channel that fires on the artefact is
        // credited wherever it fires. A sharper claim needs a sharper method than the paper's.
        XCTAssertGreaterThan(trainedShare, Double(rows.count * cols.count) / 1024, "more of the Grad-CAM mass than the region's area share is where the artefact is (\(rows) x \(cols))")

        // Randomised weights: the map changes. (Random filters also respond to the checkerboard's
        // strong contrast, so the randomised map is not uniform either.)
        trainer.network.initialize(seed: 99)
        let random = GradCAM.explain(network: trainer.network, images: images.pointer, count: fakes.count, target: .fake).map(\.heatmap)
        var difference = 0.0
        for (a, b) in zip(trained, random) { for (x, y) in zip(a, b) { difference += Double(abs(x - y)) } }
        print("Grad-CAM: share in artefact region trained \(trainedShare), random weights \(share(random)); mean |difference| \(difference / Double(trained.count * 1024))")
        XCTAssertGreaterThan(difference / Double(trained.count * 1024), 0.02, "the map depends on the weights")
    }

    static func synthetic(perClass: Int, split: String) -> ImageSet {
        var pixels: [UInt8] = [], labels: [UInt8] = [], sources: [String] = []
        for index in 0..<perClass {
            for label in Label.allCases {
                pixels += SyntheticCIFAKE.image(label: label, seed: 1, split: split, index: index).pixels
                labels.append(label.rawValue)
                sources.append("\(label.folderName)/\(index)")
            }
        }
        return ImageSet(pixels: pixels, labels: labels, sources: sources)
    }
}
