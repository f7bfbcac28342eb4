import Dataset
import Evaluation
import Kernels
import Model
import Training
import XCTest

final class TrainerTests: XCTestCase {
    func config(seed: UInt64 = 3, model: String = "cnn2d") -> TrainingConfig {
        var c = TrainingConfig()
        c.model = model
        c.dense = 16
        c.batchSize = 16
        c.epochs = 2
        c.seed = seed
        c.threads = 2
        return c
    }

    func trainSteps(_ c: TrainingConfig, _ set: ImageSet, steps: Int) throws -> UInt64 {
        let trainer = Trainer(config: c, train: set)
        let order = trainer.order(epoch: 0)
        for s in 0..<steps { _ = try trainer.step(epoch: 0, stepInEpoch: s, order: order) }
        return trainer.network.parameters.checksum()
    }

    func testSeededRunIsReproducibleBitForBit() throws {
        let set = syntheticSet(perClass: 40, seed: 1)
        for model in ["cnn2d", "cnn2d-ext"] {
            let a = try trainSteps(config(model: model), set, steps: 4)
            let b = try trainSteps(config(model: model), set, steps: 4)
            let other = try trainSteps(config(seed: 4, model: model), set, steps: 4)
            XCTAssertEqual(a, b, "\(model): same seed, same weights")
            XCTAssertNotEqual(a, other, "\(model): another seed, other weights")
        }
    }

    func testLearnsTheSyntheticArtefact() throws {
        var c = config()
        c.dense = 32
        c.batchSize = 32
        c.epochs = 4
        c.augmentFlip = false
        c.augmentShift = 0
        let train = syntheticSet(perClass: 600, seed: 5), test = syntheticSet(perClass: 100, seed: 5, split: "test")
        let trainer = Trainer(config: c, train: train)
        for epoch in 0..<c.epochs {
            let order = trainer.order(epoch: epoch)
            for s in 0..<trainer.stepsPerEpoch { _ = try trainer.step(epoch: epoch, stepInEpoch: s, order: order) }
        }
        let report = try ClassificationReport(probabilities: trainer.predict(test), labels: test.labels)
        XCTAssertGreaterThan(report.accuracy, 0.9, "the only class difference is a visible artefact: a working trainer learns it")
    }
}
