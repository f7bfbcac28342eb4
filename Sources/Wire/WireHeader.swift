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

extension WireHeader {
    /// One frame of either family: the header for `kind`, `generation` and `payload`'s length,
    /// then `payload`.
    static func frame(kind: WireKind, generation: UInt64, payload: [UInt8]) throws(WireError) -> [UInt8] {
        guard payload.count <= WireCodec.maximumPayloadBytes else {
            throw .payloadTooLarge(declared: payload.count, maximum: WireCodec.maximumPayloadBytes)
        }
        var frame = WireWriter()
        frame.bytes.reserveCapacity(byteCount + payload.count)
        frame.u32(magic)
        frame.u16(currentVersion)
        frame.u16(kind.rawValue)
        frame.u64(generation)
        frame.u32(UInt32(payload.count))
        frame.bytes.append(contentsOf: payload)
        return frame.bytes
    }

    /// Checks the header and that exactly its payload follows, then reads the payload with
    /// `payload`, which must consume it all.
    static func decodeFrame<Message>(
        _ bytes: UnsafeRawBufferPointer, payload: (WireHeader, inout WireReader) throws(WireError) -> Message
    ) throws(WireError) -> (header: WireHeader, message: Message) {
        let header = try decode(bytes)
        let actual = bytes.count - byteCount
        guard actual == header.payloadLength else {
            throw .lengthMismatch(declared: header.payloadLength, actual: actual)
        }
        var r = WireReader(UnsafeRawBufferPointer(rebasing: bytes[byteCount...]))
        let message = try payload(header, &r)
        guard r.remaining == 0 else { throw .trailingBytes(kind: "\(header.kind)", count: r.remaining) }
        return (header, message)
    }
}
