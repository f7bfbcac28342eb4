import XCTest
@testable import Explanation

/// Every method against a naive twin written from its paper's definition, in Double, on a small
/// hand-made case (whose values are also worked out by hand below) and on random cases.
final class CAMMethodTests: XCTestCase {
    // 2x2 grid (4 cells), 2 channels, cell-major: A[p][c], G[p][c].
    let a: [[Double]] = [[1, 2], [2, 1], [0, 3], [1, 1]]
    let g: [[Double]] = [[0.5, -1], [0, 0.25], [-0.5, 0.5], [1, 0]]

    /// The definitions, one formula each, over `a[p][c]` and `g[p][c]`.
    func naive(_ method: CAMMethod, _ a: [[Double]], _ g: [[Double]]) -> [Double] {
        let pixels = a.count, channels = a[0].count
        func relu(_ x: Double) -> Double { max(x, 0) }
        switch method {
        case .gradCAM:
            // w_c = 1/Z sum_ij dy/dA_ij^c;  L = ReLU(sum_c w_c A^c)
            let w = (0..<channels).map { c in (0..<pixels).map { g[$0][c] }.reduce(0, +) / Double(pixels) }
            return (0..<pixels).map { p in relu((0..<channels).map { w[$0] * a[p][$0] }.reduce(0, +)) }
        case .gradCAMPlusPlus:
            // alpha_ij^c = g^2 / (2 g^2 + sum_ab A_ab^c g^3);  w_c = sum_ij alpha_ij^c ReLU(g_ij^c)
            let w = (0..<channels).map { c -> Double in
                let s = (0..<pixels).map { a[$0][c] }.reduce(0, +)
                return (0..<pixels).map { p -> Double in
                    let x = g[p][c]
                    let denominator = 2 * x * x + s * x * x * x
                    return denominator == 0 ? 0 : x * x / denominator * relu(x)
                }.reduce(0, +)
            }
            return (0..<pixels).map { p in relu((0..<channels).map { w[$0] * a[p][$0] }.reduce(0, +)) }
        case .hiResCAM:
            // L = ReLU(sum_c dy/dA^c (element-wise) A^c)
            return (0..<pixels).map { p in relu((0..<channels).map { g[p][$0] * a[p][$0] }.reduce(0, +)) }
        case .layerCAM:
            // L = ReLU(sum_c ReLU(dy/dA^c) (element-wise) A^c)
            return (0..<pixels).map { p in relu((0..<channels).map { relu(g[p][$0]) * a[p][$0] }.reduce(0, +)) }
        }
    }

    func fast(_ method: CAMMethod, _ a: [[Double]], _ g: [[Double]]) -> [Float] {
        method.map(activations: a.flatMap { $0.map(Float.init) }, gradients: g.flatMap { $0.map(Float.init) },
                   pixels: a.count, channels: a[0].count)
    }

    func testHandMadeCaseByHand() {
        // Grad-CAM: w = (0.25, -0.0625); cells 0.25 - 0.125, 0.5 - 0.0625, -0.1875 -> 0, 0.25 - 0.0625.
        XCTAssertEqual(naive(.gradCAM, a, g), [0.125, 0.4375, 0, 0.1875])
        // HiResCAM: 0.5 - 2 -> 0, 0.25, 1.5, 1.
        XCTAssertEqual(naive(.hiResCAM, a, g), [0, 0.25, 1.5, 1])
        // LayerCAM: the negative gradient of cell 0, channel 1 no longer cancels: 0.5, 0.25, 1.5, 1.
        XCTAssertEqual(naive(.layerCAM, a, g), [0.5, 0.25, 1.5, 1])
        // Grad-CAM++: sums of A are 4 and 7; alpha = 1 / (2 + S g) for g > 0:
        // w_0 = 0.5 / 4 + 1 / 6 = 7/24, w_1 = 0.25 / 3.75 + 0.5 / 5.5 = 52/330.
        let w0 = 7.0 / 24, w1 = 52.0 / 330
        for (x, y) in zip(naive(.gradCAMPlusPlus, a, g), [w0 + 2 * w1, 2 * w0 + w1, 3 * w1, w0 + w1]) {
            XCTAssertEqual(x, y, accuracy: 1e-12)
        }
    }

    func testEveryMethodMatchesItsDefinition() {
        var cases: [([[Double]], [[Double]])] = [(a, g)]
        var state: UInt64 = 42
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 40) / Double(1 << 24)
        }
        for (pixels, channels) in [(9, 3), (169, 64), (16, 5)] {
            // Activations are ReLU outputs (some exactly 0); gradients of both signs, many exactly 0 (max-pooling).
            let a = (0..<pixels).map { _ in (0..<channels).map { _ in max(0, next() * 2 - 0.6) } }
            let g = (0..<pixels).map { _ in (0..<channels).map { _ in next() < 0.7 ? 0 : next() - 0.5 } }
            cases.append((a, g))
        }
        for (a, g) in cases {
            for method in CAMMethod.allCases {
                let expected = naive(method, a, g), found = fast(method, a, g)
                let scale = max(1e-6, expected.map(abs).max() ?? 0)
                for (x, y) in zip(found, expected) {
                    // Float32 sums of at most 169 * 64 products: relative error well under 1e-4 of the largest value.
                    XCTAssertEqual(Double(x), y, accuracy: 1e-4 * scale, "\(method), \(a.count) x \(a[0].count)")
                }
            }
        }
    }

    func testNamesRoundTrip() {
        for method in CAMMethod.allCases { XCTAssertEqual(CAMMethod(name: method.rawValue), method) }
        XCTAssertEqual(CAMMethod(name: "Grad-CAM++"), .gradCAMPlusPlus)
        XCTAssertEqual(CAMMethod(name: "HiResCAM"), .hiResCAM)
        XCTAssertNil(CAMMethod(name: "scorecam"))
        let (_, problems) = ExplanationSettings.parse(method: "x", target: "both", scale: "log")
        XCTAssertEqual(problems.count, 3)
        XCTAssertTrue(problems[0].contains("explain_method: found 'x'") && problems[0].contains("'hirescam'"))
    }
}
