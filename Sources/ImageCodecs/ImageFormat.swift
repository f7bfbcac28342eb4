/// The image file formats the codecs read, recognised by their leading bytes.
public enum ImageFormat: String, Sendable, Equatable, CustomStringConvertible {
    case jpeg = "JPEG"
    case png = "PNG"

    public var description: String { rawValue }

    /// The format whose signature `bytes` start with, or nil (JPEG: FF D8 FF; PNG: 89 50 4E 47).
    public static func sniff(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        let head = Array(bytes.prefix(4))
        if head.count >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF { return .jpeg }
        if head.count >= 4 && head == [0x89, 0x50, 0x4E, 0x47] { return .png }
        return nil
    }

    /// Decodes `bytes` with the codec their signature names.
    public static func decode(_ bytes: [UInt8]) throws(ImageCodecError) -> RGBImage {
        switch sniff(bytes) {
        case .jpeg: return try JPEG.decode(bytes)
        case .png: return try PNG.decode(bytes)
        case nil: throw .notAnImage(firstBytes: Array(bytes.prefix(8)))
        }
    }
}
