/// FNV-1a, 64 bits: the checksum of chunk payloads (and usable for weight buffers).
/// Not cryptographic; it detects corruption and disagreement, not tampering (CURVE does that).
public enum WireChecksum {
    public static func fnv1a64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    public static func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { fnv1a64($0) }
    }
}
