import ArgumentParser
import Compression
import Dispatch
import Kernels
import Model

/// `cifake bench powersgd`: PowerSGD's passes over one weight-gradient matrix, each beside the
/// floor it is bound by (one read pass over the matrix) and beside OpenBLAS doing the same
/// product, the way the reducer ran it before `CLowRank`. One thread, best of `--iters`.
struct BenchPowerSGDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "powersgd",
        abstract: "Milliseconds of PowerSGD's passes over one gradient matrix (D=4096's dense kernel by default), beside a read pass and BLAS.")

    @Option(help: "Matrix rows (the dense layer's inputs).")
    var rows = Architecture.cnn2d(dense: 4096).plan.head.inputs
    @Option(help: "Matrix columns (the dense width).")
    var columns = 4096
    @Option(help: "PowerSGD's rank.")
    var rank = 4
    @Option(help: "Timed repetitions of each pass (the best is reported).")
    var iters = 15

    func validate() throws {
        guard (1...65536).contains(rows), (1...65536).contains(columns), (1...64).contains(rank), (1...1000).contains(iters) else {
            throw ValidationError("--rows and --columns must be 1...65536, --rank 1...64, --iters 1...1000")
        }
    }

    func run() throws {
        let count = rows * columns
        let m = FloatBuffer(count: count)
        for i in 0..<count { m.pointer[i] = Float(i % 97) * 1e-3 - 0.05 }
        let compressor = PowerSGD(rows: rows, columns: columns, rank: rank, seed: 1)
        let p = FloatBuffer(count: rows * rank), q = FloatBuffer(count: columns * rank)
        let block = FloatBuffer(count: 1 << 14)
        func best(_ body: () -> Void) -> Double {
            (0..<iters).map { _ in
                let began = DispatchTime.now().uptimeNanoseconds
                body()
                return Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6
            }.min()!
        }
        var sink: Float = 0
        let read = best {
            var total = SIMD8<Float>()
            let raw = UnsafeRawPointer(m.pointer)
            for i in stride(from: 0, to: count - count % 8, by: 8) { total += raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) }
            sink += total.sum()
        }
        let blasProject = best {
            Gemm.sgemm(transA: false, transB: false, m: rows, n: rank, k: columns, a: m.pointer, lda: columns,
                       b: q.pointer, ldb: rank, beta: 0, c: p.pointer, ldc: rank)
        }
        let blasBackProject = best {
            Gemm.sgemm(transA: true, transB: false, m: columns, n: rank, k: rows, a: m.pointer, lda: columns,
                       b: p.pointer, ldb: rank, beta: 0, c: q.pointer, ldc: rank)
        }
        let project = best { compressor.project(m.pointer) }
        compressor.orthonormalize()
        let backProject = best { compressor.backProject(m.pointer) }
        // As the optimizer asks for it: 64 KiB blocks, each read back from cache.
        let decompress = best {
            compressor.prepareDecompression()
            var start = 0
            while start < count {
                let end = min(count, start + block.count)
                compressor.decompress(elements: start..<end, of: m.pointer, into: block.pointer, worldSize: 2)
                start = end
            }
        }
        func ms(_ x: Double) -> String { String(format: "%.2f ms", x) }
        print("PowerSGD passes over a \(rows)x\(columns) matrix (\(count * 4 / 1_000_000) MB) at rank \(rank), one thread, best of \(iters):")
        print("  read pass (floor)   \(ms(read))")
        print("  project   M Q       \(ms(project))   (BLAS sgemm: \(ms(blasProject)))")
        print("  backProject Mᵀ P    \(ms(backProject))   (BLAS sgemm: \(ms(blasBackProject)))")
        print("  decompress P Qᵀ, E  \(ms(decompress))   (reads and writes M, writes the blocks)")
        print("  per step            \(ms(project + backProject + decompress))")
        if sink.isNaN { print("") }
    }
}
