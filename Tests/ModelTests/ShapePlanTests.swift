import Kernels
@testable import Model
import Randomness
import XCTest

final class ShapePlanTests: XCTestCase {
    static let architectures: [Architecture] = [.cnn2d(dense: 32), .cnn2d(dense: 64), .cnn2d(dense: 128), .cnn2d(dense: 4096), .cnn2dExtended()]

    /// Constants unlike the paper's in every way the layers allow: an odd image side, two input
    /// channels, 4x4 kernels, filter counts that are not multiples of 8 (the pooling's SIMD tail).
    /// 17 -> conv 14 -> pool 7 -> conv 4 -> pool 2.
    static let other: ShapePlan.Constants = {
        var c = ShapePlan.Constants.paper
        c.imageSide = 17; c.imageChannels = 2; c.kernelSize = 4
        c.conv1Filters = 5; c.conv2Filters = 9; c.extendedHidden = 7
        return c
    }()

    /// Every tensor's element count, from the layer formulas written out here rather than read
    /// from the plan: a k x k convolution of c to f channels holds k*k*c*f weights and f biases;
    /// a 'valid' convolution shrinks a side by k - 1 and a 2x2 pooling halves it, rounding down;
    /// a dense layer of n to m holds n*m weights and m biases.
    static func expectedCounts(_ a: Architecture, side: Int = 32, channels: Int = 3, kernel k: Int = 3,
                               filters: (Int, Int) = (32, 64), extendedHidden: Int = 32) -> [Int] {
        let (f1, f2) = filters
        let pooled2 = ((side - k + 1) / 2 - k + 1) / 2
        let inputs: Int, hidden: Int
        switch a {
        case .cnn2d(let d, _): (inputs, hidden) = (pooled2 * pooled2 * f2, d)
        case .cnn2dExtended: (inputs, hidden) = (f2, extendedHidden)
        }
        return [k * k * channels * f1, f1, k * k * f1 * f2, f2, inputs * hidden, hidden, hidden, 1]
    }

    /// The typed fields in buffer order tile `0..<layout.count` exactly, match the layout, and
    /// split into the convolutions' range and the head's at the dense kernel.
    func assertConsistent(_ plan: ShapePlan, expectedCounts: [Int], file: StaticString = #filePath, line: UInt = #line) {
        let p = plan.parameters
        let typed = [p.conv1Kernel, p.conv1Bias, p.conv2Kernel, p.conv2Bias, p.denseKernel, p.denseBias, p.outputKernel, p.outputBias]
        let names = ["conv1.kernel", "conv1.bias", "conv2.kernel", "conv2.bias", "dense.kernel", "dense.bias", "output.kernel", "output.bias"]
        XCTAssertEqual(typed.map(\.name), names, file: file, line: line)
        XCTAssertEqual(typed.map(\.count), expectedCounts, file: file, line: line)
        XCTAssertEqual(p.tensors, typed, "buffer order", file: file, line: line)
        XCTAssertEqual(plan.layout.tensors, typed, file: file, line: line)
        for spec in typed { XCTAssertEqual(plan.layout[spec.name], spec, "lookup by name", file: file, line: line) }
        var next = 0
        for spec in typed {
            XCTAssertEqual(spec.offset, next, "\(spec.name) starts where the previous tensor ends", file: file, line: line)
            XCTAssertGreaterThan(spec.count, 0, file: file, line: line)
            next = spec.range.upperBound
        }
        XCTAssertEqual(next, plan.layout.count, "the tensors end at the buffer's end", file: file, line: line)
        XCTAssertEqual(plan.layout.count, expectedCounts.reduce(0, +), file: file, line: line)
        XCTAssertEqual(plan.convolutionParameterRange, 0..<p.denseKernel.offset, file: file, line: line)
        XCTAssertEqual(plan.convolutionParameterRange.count, typed[0..<4].map(\.count).reduce(0, +), file: file, line: line)
        XCTAssertEqual(plan.headParameterRange, p.denseKernel.offset..<plan.layout.count, file: file, line: line)
        XCTAssertEqual(plan.headParameterRange.count, typed[4...].map(\.count).reduce(0, +), file: file, line: line)
    }

    func testRangesTileTheBufferForEveryArchitecture() {
        for a in Self.architectures {
            assertConsistent(a.plan, expectedCounts: Self.expectedCounts(a))
            XCTAssertEqual(a.layout, a.plan.layout)
            XCTAssertEqual(a.parameterCount, Self.expectedCounts(a).reduce(0, +), a.displayName)
        }
        XCTAssertEqual(Architecture.cnn2d(dense: 4096).plan.headParameterRange.count, 9_445_377, "the ring's early range for D=4096")
    }

    func testPaperGeometry() {
        let plan = Architecture.cnn2d(dense: 128).plan
        XCTAssertEqual([plan.conv1.inputSide, plan.conv1.outputSide, plan.pool1.outputSide, plan.conv2.outputSide, plan.pool2.outputSide], [32, 30, 15, 13, 6])
        XCTAssertEqual(plan.parameters.conv2Kernel.shape, [3, 3, 32, 64])
        XCTAssertEqual(plan.parameters.denseKernel.shape, [2304, 128])
        XCTAssertNil(plan.head.dropout)
        let s = plan.perImage
        XCTAssertEqual([s.input, s.cols1, s.a1, s.p1, s.cols2, s.a2, s.p2, s.gap, s.headInputs, s.h],
                       [3072, 900 * 27, 28_800, 7200, 169 * 288, 10_816, 2304, 0, 2304, 128])
        let extended = Architecture.cnn2dExtended().plan
        XCTAssertEqual(extended.head.dropout, 0.5)
        XCTAssertEqual([extended.perImage.gap, extended.perImage.headInputs, extended.perImage.h], [64, 64, 32])
        XCTAssertEqual(extended.parameters.denseKernel.shape, [64, 32])
    }

    /// The model file holds every tensor of the plan under its name, with its shape and the
    /// values at its offset.
    func testModelFilesHoldThePlansTensors() throws {
        for a in Self.architectures {
            let network = Network(architecture: a, maxBatch: 1)
            for i in 0..<network.parameters.count { network.parameters.pointer[i] = Float(i) }
            let (tensors, _) = try SafeTensors.decode(network.modelFileBytes(), source: a.displayName)
            let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0) })
            XCTAssertEqual(byName.count, a.plan.parameters.tensors.count)
            for spec in a.plan.parameters.tensors {
                XCTAssertEqual(byName[spec.name]?.shape, spec.shape, "\(a.displayName) \(spec.name)")
                XCTAssertEqual(byName[spec.name]?.values, spec.range.map(Float.init), "\(a.displayName) \(spec.name)")
            }
        }
    }

    func testOtherConstantsGiveConsistentPlans() {
        for a in [Architecture.cnn2d(dense: 6), .cnn2dExtended()] {
            let c = Self.other
            let plan = ShapePlan(a, constants: c)
            assertConsistent(plan, expectedCounts: Self.expectedCounts(a, side: 17, channels: 2, kernel: 4, filters: (5, 9), extendedHidden: 7))
            XCTAssertEqual([plan.conv1.outputSide, plan.pool1.outputSide, plan.conv2.outputSide, plan.pool2.outputSide], [14, 7, 4, 2])
            XCTAssertEqual(plan.parameters.conv1Kernel.shape, [4, 4, 2, 5])
            XCTAssertEqual(plan.parameters.conv2Kernel.shape, [4, 4, 5, 9])
            XCTAssertEqual(plan.perImage.input, 17 * 17 * 2)
            XCTAssertEqual(plan.perImage.cols2, 4 * 4 * (4 * 4 * 5))
            XCTAssertEqual(plan.perImage.p2, 2 * 2 * 9)
        }
        // One filter count changed: only the tensors that depend on it change.
        var c = ShapePlan.Constants.paper
        c.conv1Filters = 8
        let plan = ShapePlan(.cnn2d(dense: 32), constants: c)
        assertConsistent(plan, expectedCounts: Self.expectedCounts(.cnn2d(dense: 32), filters: (8, 64)))
        XCTAssertEqual(plan.parameters.conv2Kernel.shape, [3, 3, 8, 64])
        XCTAssertEqual(plan.parameters.denseKernel.shape, [2304, 32])
        XCTAssertEqual(plan.perImage.a1, 30 * 30 * 8)
    }

    /// Network indexes every buffer through its plan: with other constants, a batch split into
    /// lanes still computes the loss and the gradients of a Double-precision reference given
    /// those constants by hand.
    func testNetworkFollowsOtherConstants() {
        for a in [Architecture.cnn2d(dense: 6), .cnn2dExtended()] {
            let plan = ShapePlan(a, constants: Self.other)
            assertNetworkMatchesReference(plan, ReferenceNetwork(a, layout: plan.layout, side: 17, channels: 2, kernel: 4, filters: (5, 9)),
                                          labels: [1, 0, 1], seed: 11)
        }
    }
}
