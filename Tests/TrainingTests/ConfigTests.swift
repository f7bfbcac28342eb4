import Training
import TestSupport
import XCTest

final class ConfigTests: XCTestCase {
    func testEveryShippedConfigParses() throws {
        let folder = Paths.packageRoot.appendingPathComponent("Config").path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }
        XCTAssertGreaterThanOrEqual(files.count, 5)
        for file in files {
            XCTAssertNoThrow(try ConfigFile.load("\(folder)/\(file)"), file)
        }
        XCTAssertEqual(try ConfigFile.load("\(folder)/cnn2d-d4096.yaml").dense, 4096)
        // The extended model's recipe widens both convolutions; the Keras baseline keeps the paper's.
        XCTAssertEqual(try ConfigFile.load("\(folder)/cnn2d-ext.yaml").architecture.parameterCount, 79_809)
        XCTAssertEqual(try ConfigFile.load("\(folder)/keras-plain-ext.yaml").architecture.parameterCount, 21_505)
    }

    func testUnknownKeysWrongTypesAndImpossibleValuesAreAllListed() {
        let text = """
            model: resnet
            dense: -4
            epochs: many
            batch_sise: 32
            learning_rate: 2
            conv2_filters: 0
            """
        XCTAssertThrowsError(try ConfigFile.parse(text, source: "bad.yaml")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("bad.yaml has 6 problems"), message)
            XCTAssertTrue(message.contains("conv2_filters: found 0, expected 1...512"), message)
            XCTAssertTrue(message.contains("batch_sise: unknown key"), message)
            XCTAssertTrue(message.contains("epochs: found 'many', which is not a valid integer"), message)
            XCTAssertTrue(message.contains("model: found 'resnet', expected 'cnn2d' or 'cnn2d-ext'"), message)
            XCTAssertTrue(message.contains("dense: found -4"), message)
            XCTAssertTrue(message.contains("learning_rate: found 2.0"), message)
        }
    }

    func testMissingKeysTakeDefaultsAndRoundTripThroughYAML() throws {
        let config = try ConfigFile.parse("dense: 128\nseed: 9\n", source: "t")
        XCTAssertEqual(config.dense, 128)
        XCTAssertEqual(config.seed, 9)
        XCTAssertEqual(config.batchSize, TrainingConfig().batchSize)
        XCTAssertEqual(try ConfigFile.parse(ConfigFile.yaml(config), source: "round trip"), config)
    }

    func testCosineScheduleWarmsUpAndDecaysToItsFloor() {
        var config = TrainingConfig()
        config.epochs = 10
        config.warmupEpochs = 1
        config.minLearningRateFraction = 0.1
        let s = LearningRateSchedule(config: config, stepsPerEpoch: 100)
        XCTAssertEqual(s.rate(at: 0), 1e-5, accuracy: 1e-9)
        XCTAssertEqual(s.rate(at: 99), 1e-3, accuracy: 1e-9)
        XCTAssertEqual(s.rate(at: 999), 1e-4, accuracy: 1e-6)
        XCTAssertGreaterThan(s.rate(at: 400), s.rate(at: 600))
        config.schedule = "constant"
        XCTAssertEqual(LearningRateSchedule(config: config, stepsPerEpoch: 100).rate(at: 555), 1e-3)
    }
}
