/// Row-wise helpers on row-major matrices whose rows are `columns` floats, vectorised 8 lanes at a
/// time when `columns` is a multiple of 8 (conv channels are 32 or 64). Loads and stores are
/// unaligned-safe.
@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// `row += bias` for every row, then ReLU when `relu` is set.
func addBias(_ matrix: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Range<Int>, columns f: Int, relu: Bool) {
    if f % 8 == 0 && f <= 64 {
        var b = [SIMD8<Float>](repeating: .zero, count: f / 8)
        for k in 0..<(f / 8) { b[k] = load8(bias + 8 &* k) }
        b.withUnsafeBufferPointer { b in
            for r in rows {
                let row = matrix + r &* f
                for k in 0..<(f / 8) {
                    let v = load8(row + 8 &* k) + b[k]
                    store8(relu ? v.replacing(with: 0, where: v .< 0) : v, row + 8 &* k)
                }
            }
        }
    } else {
        for r in rows {
            let row = matrix + r &* f
            for j in 0..<f {
                let v = row[j] + bias[j]
                row[j] = relu ? max(v, 0) : v
            }
        }
    }
}

/// `sums[j] += sum_i matrix[i, j]` for a row-major `rows x columns` matrix whose rows are
/// `stride` floats apart (default: `columns`), in a fixed order.
func columnSums(into sums: UnsafeMutablePointer<Float>, matrix: UnsafePointer<Float>, rows: Int, columns f: Int, stride: Int? = nil) {
    let ld = stride ?? f
    if ld == f && f % 8 == 0 && f <= 64 {
        var acc = [SIMD8<Float>](repeating: .zero, count: f / 8)
        acc.withUnsafeMutableBufferPointer { acc in
            for i in 0..<rows {
                let row = matrix + i &* f
                for k in 0..<(f / 8) { acc[k] += load8(row + 8 &* k) }
            }
            for k in 0..<(f / 8) { store8(load8(sums + 8 &* k) + acc[k], sums + 8 &* k) }
        }
    } else {
        for i in 0..<rows {
            let row = matrix + i &* ld
            for j in 0..<f { sums[j] += row[j] }
        }
    }
}
