/// Reads little-endian fields from a payload, bounds-checked: every read that would pass the
/// end throws ``WireError/truncated(field:needed:available:)`` naming the field.
struct WireReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    private mutating func advance(_ n: Int, _ field: String) throws(WireError) -> Int {
        guard n <= remaining else { throw .truncated(field: field, needed: n, available: remaining) }
        defer { offset += n }
        return offset
    }

    mutating func u8(_ field: String) throws(WireError) -> UInt8 {
        bytes[try advance(1, field)]
    }
    mutating func u16(_ field: String) throws(WireError) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: try advance(2, field), as: UInt16.self))
    }
    mutating func u32(_ field: String) throws(WireError) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try advance(4, field), as: UInt32.self))
    }
    mutating func u64(_ field: String) throws(WireError) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try advance(8, field), as: UInt64.self))
    }
    mutating func i64(_ field: String) throws(WireError) -> Int {
        Int(Int64(bitPattern: try u64(field)))
    }
    /// A signed value that must not be negative (steps, sample counts).
    mutating func nonNegative(_ field: String) throws(WireError) -> Int {
        let v = try i64(field)
        guard v >= 0 else { throw .invalidValue(field: field, expected: "a value >= 0", found: String(v)) }
        return v
    }
    /// A whole transfer's size in bytes, at most ``WireCodec/maximumTransferBytes``.
    mutating func transferSize(_ field: String) throws(WireError) -> UInt64 {
        let v = try u64(field)
        guard v <= WireCodec.maximumTransferBytes else {
            throw .invalidValue(field: field, expected: "at most \(WireCodec.maximumTransferBytes) bytes", found: String(v))
        }
        return v
    }
    mutating func f64(_ field: String) throws(WireError) -> Double {
        Double(bitPattern: try u64(field))
    }
    mutating func bool(_ field: String) throws(WireError) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let v: throw .invalidValue(field: field, expected: "0 or 1", found: String(v))
        }
    }
    /// A UInt32 count or index no larger than `maximum`.
    mutating func count(_ field: String, maximum: Int) throws(WireError) -> Int {
        let v = Int(try u32(field))
        guard v <= maximum else { throw .lengthOutOfRange(field: field, found: v, maximum: maximum) }
        return v
    }
    mutating func string(_ field: String, maximum: Int = WireCodec.maximumStringBytes) throws(WireError) -> String {
        let n = try count(field + ".length", maximum: maximum)
        let start = try advance(n, field)
        guard let s = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start ..< start + n]), as: UTF8.self) else {
            throw .invalidUTF8(field: field)
        }
        return s
    }
    mutating func blob(_ field: String, maximum: Int) throws(WireError) -> [UInt8] {
        let n = try count(field + ".length", maximum: maximum)
        let start = try advance(n, field)
        return Array(UnsafeRawBufferPointer(rebasing: bytes[start ..< start + n]))
    }
    mutating func optionalU64(_ field: String) throws(WireError) -> UInt64? {
        try bool(field + ".present") ? try u64(field) : nil
    }
    mutating func optionalString(_ field: String) throws(WireError) -> String? {
        try bool(field + ".present") ? try string(field) : nil
    }
    mutating func optionalCount(_ field: String, maximum: Int) throws(WireError) -> Int? {
        try bool(field + ".present") ? try count(field, maximum: maximum) : nil
    }
}
