import CLowRank
import Kernels
import Randomness

/// PowerSGD (Vogels, Karimireddy and Jaggi, 2019) for one weight-gradient matrix of
/// `rows x columns` (row-major, as the dense layer's kernel lies in the flat buffer), on one replica.
///
/// `M` is this replica's gradient plus its error feedback `E` (what earlier approximations left
/// out), and it lives in the caller's memory, the gradient buffer itself: after a step that region
/// holds `E`, the network's backward accumulates the next gradient on top of it, and that is the
/// next `M`, without a pass of its own. Per step, with `Q` the shared `columns x rank` factor of
/// the previous step (warm start):
/// 1. `P = M Q`                                      (`project`)
/// 2. `P` summed over replicas, then orthonormalised (`orthonormalize`, after the caller's sum)
/// 3. `Q = Mᵀ P`                                     (`backProject`)
/// 4. `Q` summed over replicas; `G ≈ P Qᵀ` = P Pᵀ Σ M, the same on every replica, and `M` becomes
///    `E = M - (P Qᵀ) / N` in place (`decompress`)
///
/// Only `P` and `Q` cross the wire: `(rows + columns) x rank` floats instead of `rows x columns`.
///
/// Each step reads `M` three times (steps 1, 3 and 4), each pass at memory speed (`CLowRank`'s
/// kernels: BLAS runs these skinny products several times slower).
///
/// Replicas stay identical: `P` and `Q` are exact ring sums (the same bits on every rank), and the
/// orthonormalisation and the reconstruction are elementwise in a fixed order without fused
/// multiply-adds, so they give the same bits on every CPU. Only `M Q` and `Mᵀ P` sum in an order
/// of their own: they are this replica's own contribution to a sum, whose rounding may differ
/// between CPUs.
///
/// The sum convention matches the ring: each replica's gradient is its share of the global-batch
/// mean, so Σ over replicas is the gradient, and `E` is measured against the replica's share (1/N)
/// of the approximation.
public final class PowerSGD {
    public let rows: Int
    public let columns: Int
    public let rank: Int
    /// `rows x rank`: `M Q` after `project`, summed by the caller, orthonormal after `orthonormalize`.
    public let p: FloatBuffer
    /// `columns x rank`: the warm-start factor; `Mᵀ P` after `backProject`, summed by the caller.
    public let q: FloatBuffer
    private let qTransposed: FloatBuffer

    /// `Q` starts as the same pseudo-random matrix on every replica (from `seed`).
    public init(rows: Int, columns: Int, rank: Int, seed: UInt64) {
        precondition(rows > 0 && columns > 0 && rank > 0, "PowerSGD needs a non-empty matrix and rank >= 1")
        self.rows = rows
        self.columns = columns
        self.rank = min(rank, rows, columns)
        p = FloatBuffer(count: rows * self.rank)
        q = FloatBuffer(count: columns * self.rank)
        qTransposed = FloatBuffer(count: columns * self.rank)
        self.seed = seed
        restartQ()
    }

    private let seed: UInt64
    /// How often `Q` was restarted: the same on every replica, since `Q` is.
    private var restarts: UInt64 = 0

    /// `Q` from the seed's stream (the same on every replica).
    private func restartQ() {
        var rng = SplitMix64(seed: seed, stream: "powersgd", UInt64(rows) << 40 ^ UInt64(columns) << 20 ^ restarts)
        for i in 0..<q.count { q.pointer[i] = rng.nextUnitFloat() * 2 - 1 }
        restarts += 1
    }

    /// Step 1: `P = M Q`. A warm-start `Q` with a column that lost all length (after a zero
    /// gradient, `Mᵀ P` is zero) would keep `P` at zero forever: it is restarted from the seed,
    /// alike on every replica.
    public func project(_ m: UnsafePointer<Float>) {
        if Self.hasDeadColumn(q.pointer, rows: columns, columns: rank) { restartQ() }
        transposeQ()
        cifake_low_rank_project(m, rows, columns, qTransposed.pointer, rank, p.pointer)
    }

    /// Step 2, after `P` was summed: modified Gram-Schmidt on `P`'s columns, in Double, in a fixed
    /// order. A column with no length left (a zero gradient, or rank above the gradient's) becomes
    /// zero: it then contributes nothing.
    public func orthonormalize() {
        Self.orthonormalizeColumns(p.pointer, rows: rows, columns: rank)
    }

    /// Step 3: `Q = Mᵀ P`.
    public func backProject(_ m: UnsafePointer<Float>) {
        cifake_low_rank_back_project(m, rows, columns, p.pointer, rank, qTransposed.pointer)
        let r = rank, n = columns, qt = qTransposed.pointer, qp = q.pointer
        for j in 0..<n { for k in 0..<r { qp[j * r + k] = qt[k * n + j] } }
    }

    /// Step 4 whole, after `Q` was summed: writes `P Qᵀ` to `out` and turns `m` into `E`.
    public func decompress(_ m: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>, worldSize: Int) {
        prepareDecompression()
        decompress(elements: 0..<(rows * columns), of: m, into: out, worldSize: worldSize)
    }

    /// Step 4 in parts: after `prepareDecompression`, `decompress(elements:)` for ranges that
    /// cover the matrix once, from any threads (each range touches only its own elements).
    public func prepareDecompression() {
        transposeQ()
    }

    /// `Qᵀ` (`rank x columns`), the layout the kernels read.
    private func transposeQ() {
        let r = rank, n = columns, qt = qTransposed.pointer, qp = q.pointer
        for j in 0..<n { for k in 0..<r { qt[k * n + j] = qp[j * r + k] } }
    }

    /// Writes `P Qᵀ` for `elements` (row-major indices of the matrix) to `out` (`elements.count`
    /// floats) and turns those elements of `m` into `E = M - P Qᵀ / N`. Each element's value is the
    /// same whatever the ranges: a fixed-order sum over the rank.
    public func decompress(elements: Range<Int>, of m: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>, worldSize: Int) {
        cifake_low_rank_reconstruct(m, p.pointer, qTransposed.pointer, columns, rank, elements.lowerBound, elements.count,
                                    1 / Float(worldSize), out)
    }

    /// `row[j] = Σ_k p[k] · qᵀ[k][j]`, summed in k order, each product rounded before the sum:
    /// the plain-Swift twin of the kernel `decompress` uses.
    static func reconstructRow(_ row: UnsafeMutablePointer<Float>, p: UnsafePointer<Float>, qTransposed qt: UnsafePointer<Float>,
                               stride: Int, rank: Int, columns n: Int) {
        let p0 = p[0]
        for j in 0..<n { row[j] = p0 * qt[j] }
        for k in 1..<max(rank, 1) {
            let pk = p[k], q = qt + k * stride
            for j in 0..<n { row[j] = row[j] + pk * q[j] }
        }
    }

    /// Whether a column is all zero or not finite.
    static func hasDeadColumn(_ a: UnsafePointer<Float>, rows: Int, columns: Int) -> Bool {
        (0..<columns).contains { c in
            var norm: Float = 0
            for i in 0..<rows { norm += a[i * columns + c] * a[i * columns + c] }
            return !(norm > 0 && norm.isFinite)
        }
    }

    /// Modified Gram-Schmidt on the `columns` columns of a row-major `rows x columns` matrix.
    static func orthonormalizeColumns(_ a: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        var column = [Double](repeating: 0, count: rows)
        var done: [[Double]] = []
        for c in 0..<columns {
            for i in 0..<rows { column[i] = Double(a[i * columns + c]) }
            for previous in done {
                var dot = 0.0
                for i in 0..<rows { dot += previous[i] * column[i] }
                for i in 0..<rows { column[i] -= dot * previous[i] }
            }
            var norm = 0.0
            for i in 0..<rows { norm += column[i] * column[i] }
            norm = norm.squareRoot()
            // Below this the column is rounding noise of the columns before it.
            if norm > 1e-30 {
                for i in 0..<rows { column[i] /= norm }
            } else {
                for i in 0..<rows { column[i] = 0 }
            }
            for i in 0..<rows { a[i * columns + c] = Float(column[i]) }
            done.append(column)
        }
    }
}
