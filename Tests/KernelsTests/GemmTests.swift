import Kernels
import XCTest

final class GemmTests: XCTestCase {
    func testFastEqualsNaiveForEveryTransposeAndOddShapes() {
        for (m, n, k) in [(1, 1, 1), (7, 5, 3), (33, 17, 65), (128, 64, 288), (3, 1, 2304)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    let a = randomBuffer(m * k, seed: 1), b = randomBuffer(k * n, seed: 2)
                    let fast = randomBuffer(m * n, seed: 3), slow = FloatBuffer(count: m * n)
                    slow.copy(from: fast)
                    let lda = transA ? m : k, ldb = transB ? k : n
                    Gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a.pointer, lda: lda,
                               b: b.pointer, ldb: ldb, beta: 1, c: fast.pointer, ldc: n)
                    Gemm.naive(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a.pointer, lda: lda,
                               b: b.pointer, ldb: ldb, beta: 1, c: slow.pointer, ldc: n)
                    assertClose(fast, slow, tolerance: 1e-5, "sgemm \(m)x\(n)x\(k) tA=\(transA) tB=\(transB)")
                }
            }
        }
    }

    func testBackendIsReportedAndLegacyKernelsAreOverridden() {
        XCTAssertTrue(Gemm.backendDescription.contains("OpenBLAS"), Gemm.backendDescription)
        XCTAssertEqual(KernelSelection.override(chosen: "Prescott", cpuFlags: ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]), "SkylakeX")
        XCTAssertEqual(KernelSelection.override(chosen: "Prescott", cpuFlags: ["avx2", "fma"]), "Haswell")
        XCTAssertNil(KernelSelection.override(chosen: "Zen", cpuFlags: ["avx2", "fma"]))
        XCTAssertNil(KernelSelection.override(chosen: "SkylakeX", cpuFlags: ["avx512f"]))
    }
}
