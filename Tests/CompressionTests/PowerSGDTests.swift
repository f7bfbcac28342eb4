import Compression
import Kernels
import Model
import XCTest

final class PowerSGDTests: XCTestCase {
    /// N replicas as the reducer runs them: each one's gradient is added to its buffer (which
    /// holds its error feedback, as the gradient buffer's region does), the factor sums are taken
    /// as the ring takes them (one fixed order), and the buffers become the new error feedback.
    private func step(_ replicas: [PowerSGD], _ buffers: [FloatBuffer], gradients: [[Float]]) -> [[Float]] {
        let n = replicas.count
        for (r, replica) in replicas.enumerated() {
            for i in 0..<buffers[r].count { buffers[r].pointer[i] += gradients[r][i] }
            replica.project(buffers[r].pointer)
        }
        sum(replicas.map(\.p))
        replicas.forEach { $0.orthonormalize() }
        for (r, replica) in replicas.enumerated() { replica.backProject(buffers[r].pointer) }
        sum(replicas.map(\.q))
        return replicas.enumerated().map { r, replica in
            var out = [Float](repeating: 0, count: replica.rows * replica.columns)
            out.withUnsafeMutableBufferPointer { replica.decompress(buffers[r].pointer, into: $0.baseAddress!, worldSize: n) }
            return out
        }
    }

    private func buffers(_ n: Int, _ count: Int) -> [FloatBuffer] { (0..<n).map { _ in FloatBuffer(count: count) } }

    private func sum(_ buffers: [FloatBuffer]) {
        for i in 0..<buffers[0].count {
            var total = buffers[0].pointer[i]
            for b in buffers.dropFirst() { total = total + b.pointer[i] }
            for b in buffers { b.pointer[i] = total }
        }
    }

    private func random(_ count: Int, _ g: inout some RandomNumberGenerator) -> [Float] {
        (0..<count).map { _ in Float.random(in: -1...1, using: &g) }
    }

    /// A summed gradient of rank <= the compression rank is reproduced (one power iteration from
    /// a generic start spans its column space), up to Float32 rounding of products of length
    /// rows + columns.
    func testLowRankGradientIsReproducedExactly() {
        var g = SystemRandomNumberGenerator()
        let rows = 48, columns = 36, n = 3
        let replicas = (0..<n).map { _ in PowerSGD(rows: rows, columns: columns, rank: 4, seed: 5) }
        let held = buffers(n, rows * columns)
        // Each replica's gradient is a rank-1 matrix; the sum has rank 3.
        let gradients = (0..<n).map { _ -> [Float] in
            let u = random(rows, &g), v = random(columns, &g)
            return (0..<(rows * columns)).map { u[$0 / columns] * v[$0 % columns] }
        }
        let out = step(replicas, held, gradients: gradients)
        let exact = (0..<(rows * columns)).map { i in gradients.reduce(0) { $0 + $1[i] } }
        let norm = exact.reduce(0) { $0 + Double($1 * $1) }.squareRoot()
        let error = zip(out[0], exact).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }.squareRoot()
        XCTAssertLessThan(error, 1e-4 * norm, "relative error \(error / norm)")
        for r in 1..<n { XCTAssertEqual(out[r], out[0], "every replica applies the same bits") }
    }

    /// Error feedback loses nothing: after T steps, what was applied plus what the replicas
    /// still hold back equals what they computed, sum over steps and replicas, up to rounding.
    func testErrorFeedbackConservesTheGradient() {
        var g = SystemRandomNumberGenerator()
        let rows = 40, columns = 30, n = 2, steps = 12
        let replicas = (0..<n).map { _ in PowerSGD(rows: rows, columns: columns, rank: 2, seed: 1) }
        let held = buffers(n, rows * columns)
        var computed = [Double](repeating: 0, count: rows * columns), applied = computed
        var lastError = 0.0
        for t in 0..<steps {
            let gradients = (0..<n).map { _ in random(rows * columns, &g) }
            for r in 0..<n { for i in 0..<computed.count { computed[i] += Double(gradients[r][i]) } }
            let out = step(replicas, held, gradients: gradients)
            for r in 1..<n { XCTAssertEqual(out[r], out[0], "step \(t): every replica applies the same bits") }
            for i in 0..<applied.count { applied[i] += Double(out[0][i]) }
            // A rank-2 approximation of a full-rank random matrix leaves a large error: it is fed back.
            lastError = (0..<n).reduce(0.0) { total, r in total + (0..<computed.count).reduce(0.0) { $0 + abs(Double(held[r].pointer[$1])) } }
        }
        XCTAssertGreaterThan(lastError, 1, "the approximation really drops something each step")
        var worst = 0.0
        for i in 0..<computed.count {
            let kept = (0..<n).reduce(0.0) { $0 + Double(held[$1].pointer[i]) }
            worst = max(worst, abs(applied[i] + kept - computed[i]))
        }
        // Each step rounds a few Float32 values of magnitude below ~10: 12 steps stay far below 1e-3.
        XCTAssertLessThan(worst, 1e-3)
    }

    func testOrthonormalizedColumnsAndAZeroGradient() {
        let replica = PowerSGD(rows: 20, columns: 10, rank: 3, seed: 2)
        let held = buffers(1, 200)
        let zero = [Float](repeating: 0, count: 200)
        let out = step([replica], held, gradients: [zero])
        XCTAssertEqual(out[0], zero, "a zero gradient gives a zero update, no NaN")
        // Q is now zero; the next gradient must still get through (Q restarts).
        var g = SystemRandomNumberGenerator()
        let gradient = random(200, &g)
        _ = step([replica], held, gradients: [gradient])
        for a in 0..<3 {
            for b in 0..<3 {
                var dot = 0.0
                for i in 0..<20 { dot += Double(replica.p.pointer[i * 3 + a]) * Double(replica.p.pointer[i * 3 + b]) }
                XCTAssertEqual(dot, a == b ? 1 : 0, accuracy: 1e-5, "P's columns \(a), \(b)")
            }
        }
    }

    /// The optimizer reconstructs the approximation block by block, on several threads: any
    /// cover of the matrix by ranges (rows cut anywhere) gives the whole reconstruction's bits,
    /// and the same error feedback.
    func testDecompressionInPartsGivesTheWholeBits() {
        var g = SystemRandomNumberGenerator()
        let rows = 37, columns = 53
        let whole = PowerSGD(rows: rows, columns: columns, rank: 3, seed: 4), parts = PowerSGD(rows: rows, columns: columns, rank: 3, seed: 4)
        let gradient = random(rows * columns, &g)
        let mWhole = FloatBuffer(gradient), mParts = FloatBuffer(gradient)
        var expected = [Float](repeating: 0, count: rows * columns), pieced = expected
        for (replica, m) in [(whole, mWhole), (parts, mParts)] {
            replica.project(m.pointer)
            replica.orthonormalize()
            replica.backProject(m.pointer)
        }
        expected.withUnsafeMutableBufferPointer { whole.decompress(mWhole.pointer, into: $0.baseAddress!, worldSize: 2) }
        parts.prepareDecompression()
        var start = 0
        while start < rows * columns {
            let end = min(rows * columns, start + Int.random(in: 1...150, using: &g))
            pieced.withUnsafeMutableBufferPointer { parts.decompress(elements: start..<end, of: mParts.pointer, into: $0.baseAddress! + start, worldSize: 2) }
            start = end
        }
        XCTAssertEqual(pieced.map(\.bitPattern), expected.map(\.bitPattern))
        XCTAssertEqual(mParts.array.map(\.bitPattern), mWhole.array.map(\.bitPattern), "the same error feedback")
    }

    func testPlanCompressesTheDenseKernelOnly() throws {
        let wide = try Architecture(model: "cnn2d", dense: 4096)
        let plan = CompressionPlan(layout: wide.layout, rank: 4)
        XCTAssertEqual(plan.matrices.map(\.name), ["dense.kernel"])
        XCTAssertEqual(plan.matrices.first.map { [$0.rows, $0.columns] }, [2304, 4096])
        XCTAssertLessThan(Double(plan.powerSGDWireElements), 0.01 * Double(wide.parameterCount))
        XCTAssertEqual(CompressionPlan(layout: try Architecture(model: "cnn2d-ext", dense: 32).layout, rank: 4).matrices, [])
    }

    func testAutoPicksTheCheapestMethodThatKeepsCommunicationBelowCompute() throws {
        let plan = CompressionPlan(layout: try Architecture(model: "cnn2d", dense: 4096).layout, rank: 4)
        let probe = 1 << 21
        // Probe time for 8 MiB at 2 ranks over a link of B bytes/s: 8 MiB * 2(N-1)/N / B.
        func choice(linkBytesPerSecond: Double, compute: Double) -> CompressionChoice {
            CompressionChoice(plan: plan, worldSize: 2, probeElements: probe, probeSeconds: Double(probe * 4) / linkBytesPerSecond, computeSeconds: compute)
        }
        XCTAssertEqual(choice(linkBytesPerSecond: 1.2e9, compute: 0.11).method, .none, "10 Gbit/s plain: 38 MB in 32 ms, under half of 110")
        XCTAssertEqual(choice(linkBytesPerSecond: 0.5e9, compute: 0.11).method, .bf16, "4 Gbit/s: 76 ms exact is over half the compute, 38 ms bf16")
        XCTAssertEqual(choice(linkBytesPerSecond: 0.3e9, compute: 0.11).method, .powersgd, "2.4 Gbit/s (CURVE-bound): 63 ms bf16 is over half")
        XCTAssertEqual(choice(linkBytesPerSecond: 0.125e9, compute: 0.11).method, .powersgd, "1 Gbit/s: 300 ms exact")
        XCTAssertEqual(choice(linkBytesPerSecond: 1e6, compute: 0.11).method, .powersgd, "too slow for anything: the cheapest")
        // A small model (D=32: 93k parameters) on a loaded machine: 4 ms of exact ring against 3 ms
        // of compute is not worth an approximation.
        let small = CompressionPlan(layout: try Architecture(model: "cnn2d", dense: 32).layout, rank: 4)
        let loaded = CompressionChoice(plan: small, worldSize: 3, probeElements: probe, probeSeconds: 0.004 * Double(probe) / Double(small.elementCount),
                                       computeSeconds: 0.003)
        XCTAssertEqual(loaded.method, .none, loaded.description)
        let text = choice(linkBytesPerSecond: 0.125e9, compute: 0.11).description
        XCTAssertTrue(text.contains("auto -> powersgd") && text.contains("compute 110 ms"), text)
    }

    /// A resumed or re-formed ring keeps the run's earlier choice whatever its probe says now (a
    /// loaded machine's probe flipped a resumed run from bf16 to none, and its end was no longer
    /// bit-exact); ranks that joined without a record follow the others.
    func testAutoKeepsTheRunsEarlierChoice() throws {
        let plan = CompressionPlan(layout: try Architecture(model: "cnn2d", dense: 4096).layout, rank: 4)
        let probe = 1 << 21, fast = Double(probe * 4) / 1.2e9
        let fresh = CompressionChoice(plan: plan, worldSize: 3, probeElements: probe, probeSeconds: fast, computeSeconds: 0.11)
        XCTAssertEqual(fresh.method, .none)
        XCTAssertEqual(fresh.keptByRanks, 0)
        let resumed = CompressionChoice(plan: plan, worldSize: 3, probeElements: probe, probeSeconds: fast, computeSeconds: 0.11,
                                        recorded: [.bf16: 2, .none: 0])
        XCTAssertEqual(resumed.method, .bf16, "2 of 3 ranks recorded bf16; the third joined afresh")
        XCTAssertEqual(resumed.keptByRanks, 2)
        XCTAssertTrue(resumed.description.hasPrefix("gradient_compression auto -> bf16 (kept: the run chose it before, recorded by 2 of 3 ranks): "),
                      resumed.description)
        XCTAssertEqual(CompressionChoice.method(recordedIn: resumed.description), .bf16)
        XCTAssertEqual(CompressionChoice.method(recordedIn: fresh.description), GradientCompression.none)
        XCTAssertNil(CompressionChoice.method(recordedIn: "gradient_compression powersgd (configured)"), "only auto's choices are records")
        XCTAssertNil(CompressionChoice.method(recordedIn: ""))
    }
}
