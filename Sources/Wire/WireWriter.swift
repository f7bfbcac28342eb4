/// Appends little-endian fields to a frame being built.
struct WireWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
    /// Counts and ranks: the encoder's callers keep them within UInt32 (bounded sizes).
    mutating func count(_ v: Int) { u32(UInt32(truncatingIfNeeded: v)) }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        count(utf8.count)
        bytes.append(contentsOf: utf8)
    }
    mutating func blob(_ b: [UInt8]) {
        count(b.count)
        bytes.append(contentsOf: b)
    }
    mutating func optionalU64(_ v: UInt64?) {
        if let v { u8(1); u64(v) } else { u8(0) }
    }
    mutating func optionalString(_ s: String?) {
        if let s { u8(1); string(s) } else { u8(0) }
    }
    mutating func optionalCount(_ v: Int?) {
        if let v { u8(1); count(v) } else { u8(0) }
    }
}
