import Dataset
import Foundation
import Model
import Storage
import TestSupport
import Training
import XCTest

/// `TrainingRun.initialWeights`: the run starts from a model file's weights, not its seed's.
final class WarmStartTests: XCTestCase {
    func testARunStartsFromTheGivenWeights() throws {
        let folder = Paths.temporaryFolder("warm-start")
        try SyntheticCIFAKE.write(to: "\(folder)/data", trainPerClass: 40, testPerClass: 10, seed: 0)
        var config = TrainingConfig()
        config.dense = 16
        config.epochs = 1
        config.batchSize = 16
        config.threads = 2
        config.data = "\(folder)/data"
        // Adam moves each weight by about the learning rate per step, whatever the gradient: with
        // 1e-9 the kept model is its starting point to within 1e-7.
        config.learningRate = 1e-9
        config.seed = 0

        let start = Network(architecture: config.architecture, maxBatch: 1, threads: 1)
        start.initialize(seed: 7)
        try AtomicFile.write(start.modelFileBytes(), to: "\(folder)/start.safetensors")
        let seeded = Network(architecture: config.architecture, maxBatch: 1, threads: 1)
        seeded.initialize(seed: 0)

        func keptWeights(_ out: String, initialWeights: String?) throws -> [Float] {
            var c = config
            c.out = "\(folder)/\(out)"
            _ = try TrainingRun(config: c, initialWeights: initialWeights).run()
            let kept = Network(architecture: config.architecture, maxBatch: 1, threads: 1)
            try kept.loadModelFile(AtomicFile.read("\(folder)/\(out)/model.safetensors"), source: out)
            return Array(kept.parameters.buffer)
        }
        func distance(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

        let warm = try keptWeights("warm", initialWeights: "\(folder)/start.safetensors")
        let cold = try keptWeights("cold", initialWeights: nil)
        XCTAssertLessThan(distance(warm, Array(start.parameters.buffer)), 1e-6, "warm start: the given weights")
        XCTAssertLessThan(distance(cold, Array(seeded.parameters.buffer)), 1e-6, "no warm start: the seed's weights")
        XCTAssertGreaterThan(distance(warm, cold), 1e-3, "the two starts differ")

        var wrong = config
        wrong.dense = 8
        wrong.out = "\(folder)/wrong"
        XCTAssertThrowsError(try TrainingRun(config: wrong, initialWeights: "\(folder)/start.safetensors").run()) { error in
            XCTAssertTrue("\(error)".contains("start.safetensors"), "names the file: \(error)")
        }
    }
}
