/// The fixed 20-byte frame header, little-endian:
/// magic (4 bytes, "CFKW"), version (UInt16), kind (UInt16), generation (UInt64),
/// payload length in bytes (UInt32).
public struct WireHeader: Sendable, Equatable {
    /// "CFKW" read as a little-endian UInt32.
    public static let magic: UInt32 = 0x574B_4643
    public static let currentVersion: UInt16 = 4
    public static let byteCount = 20

    public var version: UInt16
    public var kind: WireKind
    /// The membership generation the sender believes in (0 before its first assignment).
    public var generation: UInt64
    public var payloadLength: Int

    public init(version: UInt16 = WireHeader.currentVersion, kind: WireKind, generation: UInt64, payloadLength: Int) {
        self.version = version
        self.kind = kind
        self.generation = generation
        self.payloadLength = payloadLength
    }

    /// Reads and checks the header at the start of `bytes` (magic, version, kind, payload bound).
    /// Does not check that the payload follows; `WireCodec.decode` does.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> WireHeader {
        guard bytes.count >= byteCount else {
            throw .truncated(field: "header", needed: byteCount, available: bytes.count)
        }
        let magic = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        guard magic == Self.magic else { throw .badMagic(expected: Self.magic, found: magic) }
        let version = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        guard version == currentVersion else { throw .unsupportedVersion(expected: currentVersion, found: version) }
        let rawKind = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        guard let kind = WireKind(rawValue: rawKind) else { throw .unknownKind(found: rawKind) }
        let generation = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
        guard length <= WireCodec.maximumPayloadBytes else {
            throw .payloadTooLarge(declared: length, maximum: WireCodec.maximumPayloadBytes)
        }
        return WireHeader(version: version, kind: kind, generation: generation, payloadLength: length)
    }
}
