import CDNNL
import Foundation

/// Single-precision matrix multiply on oneDNN's `dnnl_sgemm` (JIT kernels for the CPU it finds:
/// AVX-512 on this machine kind, no configuration needed), plus the naive twin that tests compare
/// it against. This is the only file that imports oneDNN.
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
        let status = dnnl_sgemm(
            transA ? 84 : 78, transB ? 84 : 78,  // 'T' : 'N'
            Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
        precondition(status == dnnl_success, "dnnl_sgemm failed with status \(status.rawValue) for m=\(m) n=\(n) k=\(k)")
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

    /// Threads used by the matrix kernels (oneDNN runs them on OpenMP threads).
    public static func setThreads(_ count: Int) {
        OpenMP.setThreads(count)
    }

    /// What runs the matrix work, e.g. "oneDNN 2.6.3 dnnl_sgemm, ISA avx512_core_amx, 2 OpenMP threads".
    public static var backendDescription: String {
        let v = dnnl_version().pointee
        let isa = isaName(dnnl_get_effective_cpu_isa())
        return "oneDNN \(v.major).\(v.minor).\(v.patch) dnnl_sgemm (JIT), CPU ISA \(isa), \(OpenMP.maxThreads) OpenMP threads"
    }

    private static func isaName(_ isa: dnnl_cpu_isa_t) -> String {
        switch isa {
        case dnnl_cpu_isa_sse41: "sse41"
        case dnnl_cpu_isa_avx: "avx"
        case dnnl_cpu_isa_avx2: "avx2"
        case dnnl_cpu_isa_avx512_mic: "avx512_mic"
        case dnnl_cpu_isa_avx512_core: "avx512_core"
        case dnnl_cpu_isa_avx512_core_vnni: "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core_bf16: "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_amx: "avx512_core_amx"
        case dnnl_cpu_isa_avx2_vnni: "avx2_vnni"
        default: "isa#\(isa.rawValue)"
        }
    }
}

/// oneDNN's OpenMP runtime (libgomp, loaded with oneDNN). Its control functions are looked up at
/// run time because Debian ships no link-time `libgomp.so` on the default library path.
enum OpenMP {
    private typealias SetThreads = @convention(c) (Int32) -> Void
    private typealias MaxThreads = @convention(c) () -> Int32

    static func setThreads(_ count: Int) {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "omp_set_num_threads") else { return }
        unsafeBitCast(symbol, to: SetThreads.self)(Int32(max(1, count)))
    }

    static var maxThreads: Int {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "omp_get_max_threads") else { return 1 }
        return Int(unsafeBitCast(symbol, to: MaxThreads.self)())
    }
}
