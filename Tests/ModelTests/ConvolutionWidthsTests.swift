import Kernels
import Randomness
import XCTest
@testable import Model

/// Recipes may widen the convolutions (`conv1_filters`, `conv2_filters`): the widths reach every
/// shape through the plan, travel in model files and checkpoints, and the paper's stay the default.
final class ConvolutionWidthsTests: XCTestCase {
    static let wide = ConvolutionWidths(first: 8, second: 12)

    func testWidthsReachEveryShapeAndThePapersAreTheDefault() {
        XCTAssertEqual(Architecture.cnn2dExtended(), .cnn2dExtended(convolutions: .paper))
        XCTAssertEqual(Architecture.cnn2dExtended().plan, ShapePlan(.cnn2dExtended(), constants: .paper))
        let extended = Architecture.cnn2dExtended(convolutions: Self.wide).plan
        XCTAssertEqual(extended.parameters.conv1Kernel.shape, [3, 3, 3, 8])
        XCTAssertEqual(extended.parameters.conv2Kernel.shape, [3, 3, 8, 12])
        XCTAssertEqual(extended.parameters.denseKernel.shape, [12, 32])
        XCTAssertEqual(extended.perImage.gap, 12)
        let flat = Architecture.cnn2d(dense: 5, convolutions: Self.wide).plan
        XCTAssertEqual(flat.parameters.denseKernel.shape, [6 * 6 * 12, 5])
        XCTAssertEqual(flat.perImage.a1, 30 * 30 * 8)
        // Widths change the digest (the cluster's rendezvous refuses a mix); the paper's name is kept.
        XCTAssertNotEqual(Architecture.cnn2dExtended(convolutions: Self.wide).digest, Architecture.cnn2dExtended().digest)
        XCTAssertEqual(Architecture.cnn2dExtended().displayName, "CNN2D extended (GAP + Dropout)")
        XCTAssertEqual(Architecture.cnn2dExtended(convolutions: Self.wide).displayName, "CNN2D extended (GAP + Dropout), conv 8,12")
    }

    func testMetadataRoundTripsAndOlderFilesMeanThePapersWidths() throws {
        for a in [Architecture.cnn2d(dense: 7, convolutions: Self.wide), .cnn2dExtended(convolutions: Self.wide), .cnn2d(dense: 4096), .cnn2dExtended()] {
            XCTAssertEqual(try Architecture(metadata: a.metadata), a)
        }
        XCTAssertEqual(try Architecture(metadata: ["model": "cnn2d-ext", "dense": "32"]), .cnn2dExtended())
        XCTAssertThrowsError(try Architecture(metadata: ["model": "cnn2d", "dense": "32", "conv_filters": "64"])) {
            XCTAssertEqual($0 as? ArchitectureError, .unreadableConvolutions("64"))
        }
        XCTAssertThrowsError(try Architecture(metadata: ["model": "cnn2d", "dense": "32", "conv_filters": "64,0"])) {
            XCTAssertEqual($0 as? ArchitectureError, .invalidConvolutions(ConvolutionWidths(first: 64, second: 0)))
        }
        XCTAssertThrowsError(try Architecture(model: "cnn2d-ext", dense: 32, convolutions: ConvolutionWidths(first: 513, second: 64)))
        XCTAssertThrowsError(try Architecture(metadata: ["model": "cnn2d-ext"])) { XCTAssertEqual($0 as? ArchitectureError, .missingMetadata) }
    }

    /// A model file of a widened network names its architecture: loading it builds the same
    /// widths and the same weights, and a paper-width network refuses it by shape.
    func testModelFilesCarryTheWidths() throws {
        let wide = Architecture.cnn2dExtended(convolutions: Self.wide)
        let network = Network(architecture: wide, maxBatch: 1)
        network.initialize(seed: 3)
        let bytes = network.modelFileBytes()
        let (read, _) = try Network.architecture(ofModelFile: bytes, source: "wide.safetensors")
        XCTAssertEqual(read, wide)
        let loaded = Network(architecture: read, maxBatch: 1)
        try loaded.loadModelFile(bytes, source: "wide.safetensors")
        XCTAssertEqual(loaded.parameters.array, network.parameters.array)
        XCTAssertThrowsError(try Network(architecture: .cnn2dExtended(), maxBatch: 1).loadModelFile(bytes, source: "wide.safetensors"))
    }

    /// The widened network's backward against finite differences of a Double-precision reference
    /// given the widths by hand.
    func testWidenedNetworkGradientMatchesTheReference() {
        for a in [Architecture.cnn2d(dense: 4, convolutions: Self.wide), .cnn2dExtended(convolutions: Self.wide)] {
            assertNetworkMatchesReference(a.plan, ReferenceNetwork(a, layout: a.layout, side: 32, channels: 3, kernel: 3, filters: (8, 12)),
                                          labels: [1, 0], seed: 21)
        }
    }
}
