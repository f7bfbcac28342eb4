import Kernels
import Model
import XCTest

/// What existing model files, checkpoints and clusters depend on, pinned: every architecture's
/// tensors (names, shapes, offsets), its digest (in every file's metadata and the cluster's
/// rendezvous check) and its Glorot-initialised weights. Deriving the shapes differently must
/// leave all of them alone.
final class LayoutStabilityTests: XCTestCase {
    static let architectures: [Architecture] = [.cnn2d(dense: 32), .cnn2d(dense: 64), .cnn2d(dense: 128), .cnn2d(dense: 4096), .cnn2dExtended()]

    func testTensorsAreUnchanged() {
        let described = Self.architectures.map { a in
            a.layout.tensors.map { "\($0.name) \($0.shape) @\($0.offset)" }.joined(separator: "; ")
        }
        XCTAssertEqual(described, [
            "conv1.kernel [3, 3, 3, 32] @0; conv1.bias [32] @864; conv2.kernel [3, 3, 32, 64] @896; conv2.bias [64] @19328; dense.kernel [2304, 32] @19392; dense.bias [32] @93120; output.kernel [32, 1] @93152; output.bias [1] @93184",
            "conv1.kernel [3, 3, 3, 32] @0; conv1.bias [32] @864; conv2.kernel [3, 3, 32, 64] @896; conv2.bias [64] @19328; dense.kernel [2304, 64] @19392; dense.bias [64] @166848; output.kernel [64, 1] @166912; output.bias [1] @166976",
            "conv1.kernel [3, 3, 3, 32] @0; conv1.bias [32] @864; conv2.kernel [3, 3, 32, 64] @896; conv2.bias [64] @19328; dense.kernel [2304, 128] @19392; dense.bias [128] @314304; output.kernel [128, 1] @314432; output.bias [1] @314560",
            "conv1.kernel [3, 3, 3, 32] @0; conv1.bias [32] @864; conv2.kernel [3, 3, 32, 64] @896; conv2.bias [64] @19328; dense.kernel [2304, 4096] @19392; dense.bias [4096] @9456576; output.kernel [4096, 1] @9460672; output.bias [1] @9464768",
            "conv1.kernel [3, 3, 3, 32] @0; conv1.bias [32] @864; conv2.kernel [3, 3, 32, 64] @896; conv2.bias [64] @19328; dense.kernel [64, 32] @19392; dense.bias [32] @21440; output.kernel [32, 1] @21472; output.bias [1] @21504",
        ])
    }

    func testDigestsAreUnchanged() {
        XCTAssertEqual(Self.architectures.map(\.digest), ["0ac24784bbc9f7a7", "18363c6c5b1ef8ac", "62e6b9cb5f940c82", "69e37b7668ed0866", "82075f819da50687"])
    }

    func testInitialisedWeightsAreUnchanged() {
        let checksums = Self.architectures.map { a in
            let network = Network(architecture: a, maxBatch: 1)
            network.initialize(seed: 7)
            return network.parameters.checksum()
        }
        XCTAssertEqual(checksums, [
            14674379322112967880,
            2430517690153550270,
            65266462601494901,
            7616515485535581595,
            16033436810761577895,
        ])
    }
}
