/// How gradient elements travel on the ring. Sums are always formed in Float32; only the bytes on
/// the wire differ.
public enum RingWireFormat: UInt8, Sendable, Equatable, CaseIterable {
    /// Little-endian IEEE Float32: the exact ring.
    case float32 = 0
    /// bfloat16 (the top 16 bits of a Float32, rounded to nearest even): half the bytes, 8 bits
    /// of mantissa. Each partial sum is rounded once per hop; the final value is rounded once and
    /// every rank, its owner included, keeps that rounded value, so replicas stay identical.
    case bfloat16 = 1

    /// Bytes per element on the wire.
    public var elementBytes: Int { self == .float32 ? 4 : 2 }
}

/// Float32 <-> bfloat16 conversion, round to nearest even (NaN stays NaN, quieted).
public enum BFloat16 {
    @inline(__always)
    public static func round(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    @inline(__always)
    public static func widen(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// `value` rounded to the nearest bfloat16, as a Float32.
    @inline(__always)
    public static func rounded(_ value: Float) -> Float { widen(round(value)) }

    /// Writes `count` values rounded to bfloat16 at `destination` (2 bytes each, any alignment).
    public static func encode(_ values: UnsafePointer<Float>, count: Int, into destination: UnsafeMutableRawPointer) {
        if Int(bitPattern: destination) & 1 == 0 {
            let out = destination.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { out[i] = round(values[i]) }
        } else {
            for i in 0..<count { destination.storeBytes(of: round(values[i]), toByteOffset: 2 &* i, as: UInt16.self) }
        }
    }
}

extension BFloat16 {
    /// Encodes `count` Float32 values at `start` as bfloat16 into the first half of the same
    /// bytes. Raw loads and stores (the memory is read as Float32 and written as UInt16); element
    /// i is written at byte 2i after element i was read at byte 4i, so nothing is overwritten
    /// before it is read.
    static func encodeInPlace(_ start: UnsafeMutableRawPointer, count: Int) {
        var i = 0
        while i < count {
            let value = start.load(fromByteOffset: i &* 4, as: Float.self)
            start.storeBytes(of: round(value), toByteOffset: i &* 2, as: UInt16.self)
            i &+= 1
        }
    }

    /// One received bfloat16 chunk against this rank's Float32 values: with `sums`, the payload
    /// becomes round(widen(payload) + values) (the partial sum to forward); with `stores`, the
    /// values become the payload's (final) values, widened. Either way the payload stays what
    /// is forwarded, so every rank stores the same bits.
    static func combine(_ payload: UnsafeMutableRawBufferPointer, _ values: UnsafeMutablePointer<Float>, count: Int,
                        sums: Bool, stores: Bool) {
        guard count > 0, let raw = payload.baseAddress else { return }
        var i = 0
        while i < count {
            let offset = i &* 2
            var bits = raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
            if sums {
                bits = round(widen(bits) + values[i])
                raw.storeBytes(of: bits, toByteOffset: offset, as: UInt16.self)
            }
            if stores { values[i] = widen(bits) }
            i &+= 1
        }
    }
}
