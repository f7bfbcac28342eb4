/// The control-plane address of a connected process: the routing identity that the
/// coordinator's ZeroMQ ROUTER socket reports for a DEALER peer (opaque bytes).
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ text: String) { self.bytes = Array(text.utf8) }

    /// UTF-8 text when the identity is printable, hex otherwise.
    public var description: String {
        if let text = String(validating: bytes, as: UTF8.self),
           text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f }) {
            return text
        }
        return "0x" + bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
