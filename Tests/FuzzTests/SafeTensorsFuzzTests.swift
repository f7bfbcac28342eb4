import Checkpoints
import Foundation
import Kernels
import Model
import TestSupport
import XCTest

/// Mutated model files and checkpoints: every input ends in a typed error or a valid decode,
/// never a trap, a hang or an allocation sized by the input rather than by its bytes.
final class SafeTensorsFuzzTests: XCTestCase {
    /// Fragments that aim at the decoder's arithmetic: huge offsets and shapes, nesting, metadata.
    static let tokens = [
        #""data_offsets":[0,9223372036854775807]"#, #""data_offsets":[9223372036854775800,9223372036854775807]"#,
        #""shape":[4294967296,4294967296]"#, #""shape":[-1]"#, #""shape":[]"#, #""dtype":"F64""#,
        #""__metadata__":{"dense":"1000000000"}"#, #""__metadata__":[]"#, "[[[[[[[[[[[[", "{{{{", #""step":"-1""#,
        #""x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#, ",", "}", "\"",
    ]

    private func smallFile() -> [UInt8] {
        SafeTensors.encode([SafeTensors.Tensor(name: "a", shape: [2, 2], values: [1, 2, 3, 4]),
                            SafeTensors.Tensor(name: "b", shape: [3], values: [5, 6, 7]),
                            SafeTensors.Tensor(name: "c", shape: [0], values: [])], metadata: ["model": "cnn2d", "dense": "1"])
    }

    private func checkpoint() -> Checkpoint {
        let network = Network(architecture: .cnn2d(dense: 2), maxBatch: 1)
        network.initialize(seed: 1)
        let adam = Adam(parameterCount: network.layout.count)
        adam.step = 5
        return Checkpoint(network: network, adam: adam,
                          state: TrainingState(step: 5, stepsPerEpoch: 3, adamStep: 5, seed: 2, worldSize: 1, configuration: "dense: 2\n",
                                               progress: ["epoch_seconds": "1.5", "epoch_seen": "16"]))
    }

    /// Mutates the JSON header as text (keeping the length prefix true) or the file as bytes.
    private func mutate(_ file: [UInt8], _ donors: [[UInt8]], _ m: inout Mutator) -> [UInt8] {
        guard m.index(2) == 0, file.count >= 8 else { return m.mutate(file, donors: donors, fields: [0, 4]) }
        var length = 0
        for i in 0 ..< 8 { length |= Int(file[i]) << (8 * i) }
        guard length <= file.count - 8 else { return m.mutate(file, donors: donors) }
        let header = Array(m.mutate(text: String(decoding: file[8 ..< 8 + length], as: UTF8.self), tokens: Self.tokens).utf8)
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        return out + header + file[(8 + length)...]
    }

    /// Every decoder of a safetensors file; each may throw its typed error, none may trap.
    private func decodeEverything(_ bytes: [UInt8]) {
        if let (tensors, _) = try? SafeTensors.decode(bytes, source: "fuzz") {
            let declared = tensors.reduce(0) { $0 + $1.values.count * 4 }
            XCTAssertLessThanOrEqual(declared, bytes.count, "tensors hold no more than the file's bytes")
        }
        if let checkpoint = try? Checkpoint.decode(bytes, source: "fuzz") {
            XCTAssertEqual(checkpoint.parameters.count, checkpoint.architecture.parameterCount)
            XCTAssertLessThanOrEqual(checkpoint.state.adamStep, checkpoint.state.step)
        }
        if let (architecture, _) = try? Network.architecture(ofModelFile: bytes, source: "fuzz") {
            // Allocating is safe now: the file holds every tensor of the architecture.
            XCTAssertLessThanOrEqual(architecture.parameterCount * 4, bytes.count)
            let network = Network(architecture: architecture, maxBatch: 1, threads: 1)
            XCTAssertNoThrow(try network.loadModelFile(bytes, source: "fuzz"))
        }
    }

    func testMutatedSafetensorsFilesNeverTrap() {
        let small = smallFile()
        let model = Network(architecture: .cnn2d(dense: 1), maxBatch: 1).modelFileBytes()
        let donors = [small, model]
        fuzz("safetensors", seed: 0x5AFE, iterations: 20_000) { _, m in
            let base = m.index(4) == 0 ? model : small
            decodeEverything(mutate(base, donors, &m))
        }
    }

    func testMutatedCheckpointsNeverTrap() {
        let bytes = checkpoint().encode()
        fuzz("checkpoint", seed: 0xC4EC, iterations: 2000) { _, m in
            decodeEverything(mutate(bytes, [smallFile()], &m))
        }
    }

    /// Metadata edited and re-sealed (as a careless tool or an attacker who knows the format
    /// would): it passes the checksum, so the range checks alone must hold.
    func testResealedCheckpointMetadataNeverTraps() throws {
        let original = checkpoint()
        let keys = ["step", "steps_per_epoch", "adam_step", "world_size", "seed", "dense", "model"]
        fuzz("checkpoint-metadata", seed: 0x3E7A, iterations: 400) { _, m in
            var state = original.state
            let text = Mutator.textBoundaries[m.index(Mutator.textBoundaries.count)]
            let value = Int(text) ?? -1
            switch keys[m.index(keys.count)] {
            case "step": state.step = value
            case "steps_per_epoch": state.stepsPerEpoch = value
            case "adam_step": state.adamStep = value
            case "world_size": state.worldSize = value
            default: state.progress["epoch_seconds"] = text
            }
            var edited = original
            edited.state = state
            if let decoded = try? Checkpoint.decode(edited.encode(), source: "fuzz") {
                XCTAssertTrue((0...TrainingState.maximumStep).contains(decoded.state.step), "\(decoded.state)")
                XCTAssertTrue((1...TrainingState.maximumStepsPerEpoch).contains(decoded.state.stepsPerEpoch), "\(decoded.state)")
                XCTAssertTrue((0...decoded.state.step).contains(decoded.state.adamStep), "\(decoded.state)")
            }
        }
    }
}
