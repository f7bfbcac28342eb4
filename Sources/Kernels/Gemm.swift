import COpenBLAS
import Foundation

/// Single-precision matrix multiply on OpenBLAS's `cblas_sgemm`, plus the naive twin that tests
/// compare it against. This is the only file that imports OpenBLAS.
///
/// Debian's OpenBLAS 0.3.21 picks its kernels by CPU model and falls back to its slowest
/// ("Prescott", SSE3) ones on CPUs newer than itself, about 4x below the machine's speed.
/// `KernelSelection` detects that and names the right kernels; the command line re-executes
/// itself with `OPENBLAS_CORETYPE` set, because OpenBLAS reads it only when it is loaded.
///
/// All matrices are row-major. `C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C[m, n]`.
public enum Gemm {
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    /// The obvious triple loop, accumulated in Double: the oracle for `sgemm`.
    public static func naive(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(av) * Double(bv)
                }
                let prior = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * sum + prior)
            }
        }
    }

    /// Threads used by the matrix kernels.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The kernels OpenBLAS chose for this CPU, e.g. "SkylakeX", "Haswell", "Zen" or "Prescott".
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// What runs the matrix work, e.g. "OpenBLAS 0.3.21 cblas_sgemm, SkylakeX kernels, 2 threads".
    public static var backendDescription: String {
        let config = String(cString: openblas_get_config())
        let version = config.split(separator: " ").dropFirst().first.map(String.init) ?? "?"
        var text = "OpenBLAS \(version) cblas_sgemm, \(coreName) kernels, \(openblas_get_num_threads()) threads"
        if let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] { text += " (OPENBLAS_CORETYPE=\(forced))" }
        return text
    }
}

/// Which OpenBLAS kernels fit this CPU, from the instruction sets the CPU reports.
public enum KernelSelection {
    /// Core names of OpenBLAS's pre-AVX2 kernels: on a CPU with AVX2 or AVX-512 these mean
    /// OpenBLAS did not recognise the CPU.
    static let legacyCores: Set<String> = ["Prescott", "Katmai", "Coppermine", "Northwood", "Banias", "Core2", "Penryn",
                                           "Dunnington", "Nehalem", "Atom", "Athlon", "Opteron", "Barcelona", "Bobcat",
                                           "Sandybridge", "Bulldozer", "Piledriver", "Steamroller", "Excavator", "Unknown"]

    /// The `OPENBLAS_CORETYPE` to force, or nil when OpenBLAS's own choice is right.
    /// - Parameters: `chosen` is OpenBLAS's core name, `cpuFlags` the CPU's flags (/proc/cpuinfo).
    public static func override(chosen: String, cpuFlags: Set<String>) -> String? {
        guard legacyCores.contains(chosen) else { return nil }
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(cpuFlags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(cpuFlags.contains) { return "Haswell" }
        return nil
    }

    /// This CPU's flags, from /proc/cpuinfo.
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: ":").last.map { $0.split(separator: " ").map(String.init) } ?? [])
    }
}
