import CLowRank
@testable import Compression
import Kernels
import XCTest

/// `CLowRank`'s kernels against plain loops: the products within the rounding bound of a
/// Float32 dot product, the reconstruction bit for bit. Shapes cover the vector tails (columns
/// not a multiple of 16), rows not a multiple of 4 and ranks across the groups of four.
final class LowRankKernelTests: XCTestCase {
    private let shapes = [(rows: 1, columns: 1), (3, 15), (4, 16), (5, 17), (9, 53), (8, 64), (13, 100), (6, 4096)]
    private let ranks = [1, 2, 3, 4, 5, 7, 8]

    private func random(_ count: Int, _ g: inout some RandomNumberGenerator) -> [Float] {
        (0..<count).map { _ in Float.random(in: -2...2, using: &g) }
    }

    /// |computed - exact| <= γ_n Σ|x_i y_i| for a Float32 dot product of length n in any order
    /// (Higham, Accuracy and Stability, 3.1), γ_n = n u / (1 - n u), u = 2^-24.
    private func assertWithinDotProductBound(_ computed: Float, exact: Double, magnitude: Double, length: Int,
                                             _ what: @autoclosure () -> String) {
        let nu = Double(length) * 0x1p-24
        let bound = nu / (1 - nu) * magnitude
        XCTAssertLessThanOrEqual(abs(Double(computed) - exact), bound, what())
    }

    func testProjectIsMTimesQWithinTheDotProductBound() {
        var g = SystemRandomNumberGenerator()
        for (rows, columns) in shapes {
            for rank in ranks {
                let m = random(rows * columns, &g), qt = random(rank * columns, &g)
                var p = [Float](repeating: .nan, count: rows * rank)
                cifake_low_rank_project(m, rows, columns, qt, rank, &p)
                for i in 0..<rows {
                    for k in 0..<rank {
                        var exact = 0.0, magnitude = 0.0
                        for j in 0..<columns {
                            let product = Double(m[i * columns + j]) * Double(qt[k * columns + j])
                            exact += product
                            magnitude += abs(product)
                        }
                        assertWithinDotProductBound(p[i * rank + k], exact: exact, magnitude: magnitude, length: columns,
                                                    "P[\(i), \(k)] of a \(rows)x\(columns) matrix at rank \(rank)")
                    }
                }
            }
        }
    }

    func testBackProjectIsMTransposedTimesPWithinTheDotProductBound() {
        var g = SystemRandomNumberGenerator()
        for (rows, columns) in shapes {
            for rank in ranks {
                let m = random(rows * columns, &g), p = random(rows * rank, &g)
                var qt = [Float](repeating: .nan, count: rank * columns)
                cifake_low_rank_back_project(m, rows, columns, p, rank, &qt)
                for j in 0..<columns {
                    for k in 0..<rank {
                        var exact = 0.0, magnitude = 0.0
                        for i in 0..<rows {
                            let product = Double(m[i * columns + j]) * Double(p[i * rank + k])
                            exact += product
                            magnitude += abs(product)
                        }
                        assertWithinDotProductBound(qt[k * columns + j], exact: exact, magnitude: magnitude, length: rows,
                                                    "Qᵀ[\(k), \(j)] of a \(rows)x\(columns) matrix at rank \(rank)")
                    }
                }
            }
        }
    }

    /// The reconstruction must give the same bits on every CPU and replica: the kernel (vectors of
    /// whatever width the CPU has, several rows at a time) equals the scalar Swift loop bit for
    /// bit, output and error feedback, for ranges that start and end anywhere and span whole rows.
    func testReconstructEqualsTheScalarLoopBitForBit() {
        var g = SystemRandomNumberGenerator()
        for (rows, columns) in shapes + [(11, 48)] {
            for rank in ranks {
                let p = random(rows * rank, &g), qt = random(rank * columns, &g), m = random(rows * columns, &g)
                let share: Float = 1 / 3
                for _ in 0..<4 {
                    let first = Int.random(in: 0..<(rows * columns), using: &g)
                    let count = Int.random(in: 0...(rows * columns - first), using: &g)
                    var kernelM = m, kernelOut = [Float](repeating: .nan, count: count)
                    cifake_low_rank_reconstruct(&kernelM, p, qt, columns, rank, first, count, share, &kernelOut)
                    var expectedOut = [Float](repeating: .nan, count: count), expectedM = m
                    for e in first..<(first + count) {
                        let i = e / columns, j = e % columns
                        var v: Float = 0
                        p.withUnsafeBufferPointer { p in
                            qt.withUnsafeBufferPointer { qt in
                                PowerSGD.reconstructRow(&v, p: p.baseAddress! + i * rank, qTransposed: qt.baseAddress! + j,
                                                        stride: columns, rank: rank, columns: 1)
                            }
                        }
                        expectedOut[e - first] = v
                        expectedM[e] -= v * share
                    }
                    XCTAssertEqual(kernelOut.map(\.bitPattern), expectedOut.map(\.bitPattern),
                                   "elements \(first)..<\(first + count) of \(rows)x\(columns) at rank \(rank)")
                    XCTAssertEqual(kernelM.map(\.bitPattern), expectedM.map(\.bitPattern), "error feedback, \(rows)x\(columns) at rank \(rank)")
                }
            }
        }
    }
}
