/// The header that precedes every chunk of a ring all-reduce on the wire.
///
/// Layout (40 bytes, little-endian): magic `RNG1` as UInt32 0x31474E52, version UInt16, phase UInt8,
/// wire format UInt8 (0 Float32, 1 bfloat16: `RingWireFormat`), generation UInt64, step UInt32,
/// ring step UInt32, chunk UInt32, element count UInt32, element offset UInt64. The payload
/// (element count x the format's element bytes, little-endian) travels in the next message part.
public struct RingFrameHeader: Sendable, Equatable {
    public static let magic: UInt32 = 0x3147_4E52
    public static let version: UInt16 = 1
    /// Encoded size in bytes.
    public static let byteCount = 40

    /// Membership generation of the ring that sent the frame.
    public var generation: UInt64
    /// Training step the gradients belong to.
    public var step: UInt32
    /// Reduce-scatter or all-gather.
    public var phase: RingPhase
    /// Ring step 0 ..< 2(N-1) (see `RingSchedule.step(_:)`).
    public var ringStep: UInt32
    /// Chunk index within the segment.
    public var chunk: UInt32
    /// First element of the chunk in the flat buffer.
    public var elementOffset: UInt64
    /// Number of elements in the payload.
    public var elementCount: UInt32
    /// How the payload's elements are encoded.
    public var format: RingWireFormat

    public init(generation: UInt64, step: UInt32, phase: RingPhase, ringStep: UInt32, chunk: UInt32,
                elementOffset: UInt64, elementCount: UInt32, format: RingWireFormat = .float32) {
        self.format = format
        self.generation = generation
        self.step = step
        self.phase = phase
        self.ringStep = ringStep
        self.chunk = chunk
        self.elementOffset = elementOffset
        self.elementCount = elementCount
    }

    /// Writes the 40-byte encoding into `bytes`, which must hold at least `byteCount` bytes.
    public func encode(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.byteCount, "header buffer needs \(Self.byteCount) bytes, has \(bytes.count)")
        bytes.storeBytes(of: Self.magic.littleEndian, toByteOffset: 0, as: UInt32.self)
        bytes.storeBytes(of: Self.version.littleEndian, toByteOffset: 4, as: UInt16.self)
        bytes.storeBytes(of: phase.rawValue, toByteOffset: 6, as: UInt8.self)
        bytes.storeBytes(of: format.rawValue, toByteOffset: 7, as: UInt8.self)
        bytes.storeBytes(of: generation.littleEndian, toByteOffset: 8, as: UInt64.self)
        bytes.storeBytes(of: step.littleEndian, toByteOffset: 16, as: UInt32.self)
        bytes.storeBytes(of: ringStep.littleEndian, toByteOffset: 20, as: UInt32.self)
        bytes.storeBytes(of: chunk.littleEndian, toByteOffset: 24, as: UInt32.self)
        bytes.storeBytes(of: elementCount.littleEndian, toByteOffset: 28, as: UInt32.self)
        bytes.storeBytes(of: elementOffset.littleEndian, toByteOffset: 32, as: UInt64.self)
    }

    /// The encoding as a new array (for tests and tools; the hot path uses `encode(into:)`).
    public func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.byteCount)
        bytes.withUnsafeMutableBytes { encode(into: $0) }
        return bytes
    }

    /// Decodes a header and checks it against the payload that came with it.
    /// - Parameters:
    ///   - bytes: the header message part; must be exactly `byteCount` bytes.
    ///   - payloadByteCount: size of the payload part, which must equal element count x 4.
    public static func decode(_ bytes: UnsafeRawBufferPointer, payloadByteCount: Int) throws(RingFrameError) -> RingFrameHeader {
        guard bytes.count == byteCount else {
            throw .badLength(field: "header", expected: byteCount, found: bytes.count)
        }
        let magic = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        guard magic == Self.magic else { throw .badMagic(expected: Self.magic, found: magic) }
        let version = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        guard version == Self.version else { throw .unsupportedVersion(expected: Self.version, found: version) }
        let phaseByte = bytes[6]
        guard let phase = RingPhase(rawValue: phaseByte) else { throw .badPhase(found: phaseByte) }
        let formatByte = bytes[7]
        guard let format = RingWireFormat(rawValue: formatByte) else { throw .badFormat(found: formatByte) }
        let header = RingFrameHeader(
            generation: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            step: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self)),
            phase: phase,
            ringStep: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 20, as: UInt32.self)),
            chunk: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt32.self)),
            elementOffset: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 32, as: UInt64.self)),
            elementCount: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 28, as: UInt32.self)),
            format: format)
        let expectedPayload = Int(header.elementCount) * format.elementBytes
        guard payloadByteCount == expectedPayload else {
            throw .badLength(field: "payload", expected: expectedPayload, found: payloadByteCount)
        }
        return header
    }

    /// Convenience overload for arrays.
    public static func decode(_ bytes: [UInt8], payloadByteCount: Int) throws(RingFrameError) -> RingFrameHeader {
        do {
            return try bytes.withUnsafeBytes { raw in try decode(raw, payloadByteCount: payloadByteCount) }
        } catch let error as RingFrameError {
            throw error
        } catch {
            fatalError("unreachable: \(error)")
        }
    }
}

/// Why a ring frame was rejected.
public enum RingFrameError: Error, Equatable, CustomStringConvertible {
    case badLength(field: String, expected: Int, found: Int)
    case badMagic(expected: UInt32, found: UInt32)
    case unsupportedVersion(expected: UInt16, found: UInt16)
    case badPhase(found: UInt8)
    case badFormat(found: UInt8)

    public var description: String {
        switch self {
        case let .badLength(field, expected, found):
            return "ring frame: \(field) length expected \(expected) bytes, found \(found)"
        case let .badMagic(expected, found):
            return "ring frame: magic expected 0x\(String(expected, radix: 16)), found 0x\(String(found, radix: 16))"
        case let .unsupportedVersion(expected, found):
            return "ring frame: version expected \(expected), found \(found)"
        case let .badPhase(found):
            return "ring frame: phase expected 0 (reduce-scatter) or 1 (all-gather), found \(found)"
        case let .badFormat(found):
            return "ring frame: wire format expected 0 (float32) or 1 (bfloat16), found \(found)"
        }
    }
}
