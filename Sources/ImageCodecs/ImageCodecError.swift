/// Why an image could not be decoded or encoded.
public enum ImageCodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes start with neither the JPEG (FF D8 FF) nor the PNG (89 50 4E 47) signature.
    case notAnImage(firstBytes: [UInt8])
    /// The bytes have the right signature but are damaged or cut short; `detail` is the codec's message.
    case corrupt(format: ImageFormat, detail: String)
    /// The image uses something this decoder does not handle (e.g. CMYK JPEG, absurd size).
    case unsupported(format: ImageFormat, detail: String)
    /// The encoder failed; `detail` is the codec's message.
    case encodeFailed(format: ImageFormat, detail: String)

    public var description: String {
        switch self {
        case .notAnImage(let first):
            let hex = first.prefix(8).map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            return "not an image: expected a JPEG (ff d8 ff) or PNG (89 50 4e 47) signature, found [\(hex)]"
        case .corrupt(let format, let detail):
            return "corrupt or truncated \(format): \(detail)"
        case .unsupported(let format, let detail):
            return "unsupported \(format): \(detail)"
        case .encodeFailed(let format, let detail):
            return "\(format) encoding failed: \(detail)"
        }
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
