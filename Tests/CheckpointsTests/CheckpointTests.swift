import Checkpoints
import Foundation
import Kernels
import Model
import Storage
import XCTest

final class CheckpointTests: XCTestCase {
    private func sample(step: Int, seed: UInt64 = 3) -> Checkpoint {
        let network = Network(architecture: .cnn2d(dense: 8), maxBatch: 1)
        network.initialize(seed: seed)
        let adam = Adam(parameterCount: network.layout.count)
        for i in 0..<adam.m.count {
            adam.m.pointer[i] = Float(i % 17) * 1e-3 + Float(step)
            adam.v.pointer[i] = Float(i % 5) * 1e-6
        }
        adam.step = step
        return Checkpoint(network: network, adam: adam,
                          state: TrainingState(step: step, stepsPerEpoch: 57, adamStep: step, seed: 11, worldSize: 2,
                                               configuration: "model: cnn2d\ndense: 8\n", progress: ["best_value": "0.93"]))
    }

    func testRoundTripKeepsEverythingBitForBit() throws {
        let original = sample(step: 120)
        let decoded = try Checkpoint.decode(original.encode(), source: "memory")
        XCTAssertEqual(decoded.parameters, original.parameters)
        XCTAssertEqual(decoded.firstMoment, original.firstMoment)
        XCTAssertEqual(decoded.secondMoment, original.secondMoment)
        XCTAssertEqual(decoded.state, original.state)
        XCTAssertEqual(decoded.state.epoch, 2)
        XCTAssertEqual(decoded.state.stepInEpoch, 6)
        XCTAssertEqual(decoded.architecture, .cnn2d(dense: 8))
    }

    func testRestoreRefillsAReplica() throws {
        let original = sample(step: 9)
        let network = Network(architecture: .cnn2d(dense: 8), maxBatch: 1)
        let adam = Adam(parameterCount: network.layout.count)
        try original.restore(into: network, adam: adam)
        XCTAssertEqual(network.parameters.array, original.parameters)
        XCTAssertEqual(adam.m.array, original.firstMoment)
        XCTAssertEqual(adam.step, 9)
        let other = Network(architecture: .cnn2d(dense: 16), maxBatch: 1)
        XCTAssertThrowsError(try original.restore(into: other, adam: Adam(parameterCount: other.layout.count)))
    }

    /// The weights are readable as a model file: `cifake predict --model` accepts a checkpoint.
    func testCheckpointLoadsAsAModelFile() throws {
        let original = sample(step: 1)
        let network = Network(architecture: .cnn2d(dense: 8), maxBatch: 1)
        try network.loadModelFile(original.encode(), source: "checkpoint")
        XCTAssertEqual(network.parameters.array, original.parameters)
    }

    func testEveryFlippedByteOrTruncationIsDetected() throws {
        let bytes = sample(step: 4).encode()
        var headerLength = 0
        for i in 0..<8 { headerLength |= Int(bytes[i]) << (8 * i) }
        // A flipped bit anywhere in the tensor data, at a few spread positions.
        for position in stride(from: 8 + headerLength, to: bytes.count, by: (bytes.count - 8 - headerLength) / 7) {
            var damaged = bytes
            damaged[position] ^= 0x10
            XCTAssertThrowsError(try Checkpoint.decode(damaged, source: "flip@\(position)")) { error in
                XCTAssertTrue("\(error)".contains("flip@\(position)"), "\(error)")
            }
        }
        for keep in [0, 7, 100, bytes.count / 2, bytes.count - 1] {
            XCTAssertThrowsError(try Checkpoint.decode(Array(bytes[0..<keep]), source: "cut@\(keep)"))
        }
        // A model file is not a checkpoint.
        let network = Network(architecture: .cnn2d(dense: 8), maxBatch: 1)
        XCTAssertThrowsError(try Checkpoint.decode(network.modelFileBytes(), source: "model")) { error in
            XCTAssertTrue("\(error)".contains("cifake-checkpoint"), "\(error)")
        }
    }

    func testStoreKeepsTheLastKAndTheBestWithPointers() throws {
        let run = NSTemporaryDirectory() + "checkpoint-store-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: run) }
        let store = CheckpointStore(runFolder: run, keep: 2)
        for step in [10, 20, 30, 40, 50] {
            try store.save(sample(step: step).encode(), step: step, isBest: step == 20)
        }
        XCTAssertEqual(store.steps(), [20, 40, 50], "the last 2 and the best")
        XCTAssertEqual(store.pointer("latest"), 50)
        XCTAssertEqual(store.pointer("best"), 20)
        try store.markBest(step: 40)
        try store.save(sample(step: 60).encode(), step: 60, isBest: false)
        XCTAssertEqual(store.steps(), [40, 50, 60], "the old best goes once another is best")
        XCTAssertEqual(try store.loadNewestIntact(log: { _ in }).checkpoint.state.step, 60)
    }

    func testDamagedLatestFallsBackToThePreviousIntactOne() throws {
        let run = NSTemporaryDirectory() + "checkpoint-fallback-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: run) }
        let store = CheckpointStore(runFolder: run, keep: 3)
        for step in [10, 20, 30] { try store.save(sample(step: step).encode(), step: step, isBest: false) }
        // Truncate the newest (as a full disk or a crashed copy would), corrupt the one before.
        let newest = try AtomicFile.read(store.path(step: 30))
        try Data(newest[0..<(newest.count / 3)]).write(to: URL(fileURLWithPath: store.path(step: 30)))
        var middle = try AtomicFile.read(store.path(step: 20))
        middle[middle.count - 5] ^= 0xFF
        try Data(middle).write(to: URL(fileURLWithPath: store.path(step: 20)))
        var log: [String] = []
        let (checkpoint, _, path) = try store.loadNewestIntact(log: { log.append($0) })
        XCTAssertEqual(checkpoint.state.step, 10)
        XCTAssertEqual(path, store.path(step: 10))
        XCTAssertEqual(log.count, 3, "\(log)")
        XCTAssertTrue(log[0].contains("step-00000030") && log[0].contains("damaged"), log[0])
        XCTAssertTrue(log[1].contains("step-00000020") && log[1].contains("XXH64"), log[1])
        XCTAssertTrue(log[2].contains("using the previous intact checkpoint"), log[2])
        // Nothing is deleted: the damaged files stay for a person to inspect.
        XCTAssertEqual(store.steps(), [10, 20, 30])
        // With every file damaged, the error lists each.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: store.path(step: 10)))
        XCTAssertThrowsError(try store.loadNewestIntact(log: { _ in })) { error in
            XCTAssertTrue("\(error)".contains("no intact checkpoint") && "\(error)".contains("step-00000010"), "\(error)")
        }
    }
}
