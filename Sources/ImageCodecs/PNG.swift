import CPNG

/// PNG decoding and encoding through libpng's simplified `png_image_*` API (the only file that
/// uses libpng; its classic setjmp/longjmp error handling cannot be used from Swift).
public enum PNG {
    /// Largest accepted image, in pixels, so a damaged header cannot ask for gigabytes.
    public static let maxPixels = 1 << 26

    /// Decodes a PNG file's bytes to RGB8 (grey, palette and alpha images are converted;
    /// alpha is composited onto black, 16-bit channels are reduced to 8).
    public static func decode(_ bytes: [UInt8]) throws(ImageCodecError) -> RGBImage {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ImageCodecError) in try decode(raw) }
        }
        return try result.get()
    }

    /// Decodes a PNG file's bytes to RGB8 (see `decode(_: [UInt8])`).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(ImageCodecError) -> RGBImage {
        guard ImageFormat.sniff(bytes) == .png else {
            throw .notAnImage(firstBytes: Array(bytes.prefix(8)))
        }
        // libpng accepts a stream cut just before its IEND chunk; a complete file has one.
        guard hasEndChunk(bytes) else {
            throw .corrupt(format: .png, detail: "no IEND chunk: the file is truncated")
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0 else {
            let detail = message(&image)
            png_image_free(&image)
            throw .corrupt(format: .png, detail: detail)
        }
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width * height <= maxPixels else {
            png_image_free(&image)
            throw .unsupported(format: .png, detail: "image size \(width)x\(height)")
        }
        image.format = UInt32(PNG_FORMAT_RGB)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let ok = pixels.withUnsafeMutableBytes { dst in
            // A black background for images with alpha; row stride 0 means "packed rows".
            var black = png_color(red: 0, green: 0, blue: 0)
            return png_image_finish_read(&image, &black, dst.baseAddress, 0, nil)
        }
        guard ok != 0 else {
            let detail = message(&image)
            png_image_free(&image)
            throw .corrupt(format: .png, detail: detail)
        }
        png_image_free(&image)
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Encodes `image` as an 8-bit RGB PNG.
    public static func encode(_ image: RGBImage) throws(ImageCodecError) -> [UInt8] {
        guard image.width > 0, image.height > 0 else {
            throw .encodeFailed(format: .png, detail: "empty image \(image.width)x\(image.height)")
        }
        var header = png_image()
        header.version = UInt32(PNG_IMAGE_VERSION)
        header.width = UInt32(image.width)
        header.height = UInt32(image.height)
        header.format = UInt32(PNG_FORMAT_RGB)
        let result = image.pixels.withUnsafeBytes { src in Result { () throws(ImageCodecError) -> [UInt8] in
            // First call measures, second writes.
            var size = 0
            guard png_image_write_to_memory(&header, nil, &size, 0, src.baseAddress, 0, nil) != 0 else {
                let detail = message(&header)
                png_image_free(&header)
                throw .encodeFailed(format: .png, detail: detail)
            }
            var out = [UInt8](repeating: 0, count: size)
            let ok = out.withUnsafeMutableBytes { dst in
                png_image_write_to_memory(&header, dst.baseAddress, &size, 0, src.baseAddress, 0, nil)
            }
            guard ok != 0 else {
                let detail = message(&header)
                png_image_free(&header)
                throw .encodeFailed(format: .png, detail: detail)
            }
            png_image_free(&header)
            out.removeLast(out.count - size)
            return out
        } }
        return try result.get()
    }

    /// Whether the last chunk type "IEND" (with its 4-byte CRC after it) appears near the end.
    private static func hasEndChunk(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let iend: [UInt8] = Array("IEND".utf8)
        var i = bytes.count - 8
        while i >= max(8, bytes.count - 64) {
            if bytes[i] == iend[0] && bytes[i + 1] == iend[1] && bytes[i + 2] == iend[2] && bytes[i + 3] == iend[3] {
                return true
            }
            i -= 1
        }
        return false
    }

    private static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let chars = raw.prefix { $0 != 0 }
            return chars.isEmpty ? "unknown libpng error" : String(decoding: chars, as: UTF8.self)
        }
    }
}
