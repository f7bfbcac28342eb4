/// Why a frame could not be decoded. Every case names the field and says what was expected and
/// what was found; decoding never traps.
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The frame ends before `field` (`needed` bytes from its start, `available` left).
    case truncated(field: String, needed: Int, available: Int)
    case badMagic(expected: UInt32, found: UInt32)
    case unsupportedVersion(expected: UInt16, found: UInt16)
    case unknownKind(found: UInt16)
    /// A known kind of the other family (a benchmark rank's frame where a cluster message was
    /// expected, or the other way round).
    case wrongKind(found: WireKind, expected: String)
    /// The header declares a payload larger than ``WireCodec/maximumPayloadBytes``.
    case payloadTooLarge(declared: Int, maximum: Int)
    /// The header's payload length differs from the bytes that follow it.
    case lengthMismatch(declared: Int, actual: Int)
    /// A string, byte or array length prefix beyond its bound.
    case lengthOutOfRange(field: String, found: Int, maximum: Int)
    case invalidValue(field: String, expected: String, found: String)
    case invalidUTF8(field: String)
    /// The payload has bytes after its last field.
    case trailingBytes(kind: String, count: Int)
    case checksumMismatch(field: String, expected: UInt64, found: UInt64)

    public var description: String {
        switch self {
        case .truncated(let field, let needed, let available):
            return "truncated frame: \(field) needs \(needed) bytes, found \(available)"
        case .badMagic(let expected, let found):
            return "bad magic: expected 0x\(String(expected, radix: 16)), found 0x\(String(found, radix: 16))"
        case .unsupportedVersion(let expected, let found):
            return "unsupported wire version: expected \(expected), found \(found)"
        case .unknownKind(let found):
            return "unknown message kind \(found)"
        case .wrongKind(let found, let expected):
            return "message kind \(found) (\(found.rawValue)): expected \(expected)"
        case .payloadTooLarge(let declared, let maximum):
            return "payload too large: declared \(declared) bytes, maximum \(maximum)"
        case .lengthMismatch(let declared, let actual):
            return "payload length mismatch: header declares \(declared) bytes, frame has \(actual)"
        case .lengthOutOfRange(let field, let found, let maximum):
            return "\(field): length \(found) is beyond the maximum \(maximum)"
        case .invalidValue(let field, let expected, let found):
            return "\(field): expected \(expected), found \(found)"
        case .invalidUTF8(let field):
            return "\(field): not valid UTF-8"
        case .trailingBytes(let kind, let count):
            return "\(kind): \(count) unexpected bytes after the last field"
        case .checksumMismatch(let field, let expected, let found):
            return "\(field): checksum expected \(expected), found \(found)"
        }
    }
}
