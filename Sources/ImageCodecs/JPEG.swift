import CTurboJPEG

/// JPEG decoding and encoding through libjpeg-turbo's TurboJPEG API (the only file that uses it).
public enum JPEG {
    /// Chroma subsampling for encoding. CIFAKE's files use 4:2:0; 4:4:4 keeps every 8x8 block
    /// independent of its neighbours' colour, so a local change stays local after encoding.
    public enum ChromaSubsampling: Sendable {
        case s444, s420
        var tj: Int32 { self == .s444 ? Int32(TJSAMP_444.rawValue) : Int32(TJSAMP_420.rawValue) }
    }

    /// Decodes a JPEG file's bytes to RGB8. A truncated or damaged file is an error, not a
    /// partially grey image (libjpeg's warnings are treated as errors).
    public static func decode(_ bytes: [UInt8]) throws(ImageCodecError) -> RGBImage {
        let decoder = Decoder()
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ImageCodecError) in try decoder.decode(raw) }
        }
        return try result.get()
    }

    /// Encodes `image` as a baseline JPEG. `quality` is 1...100.
    public static func encode(_ image: RGBImage, quality: Int,
                              subsampling: ChromaSubsampling = .s444) throws(ImageCodecError) -> [UInt8] {
        guard (1...100).contains(quality) else {
            throw .encodeFailed(format: .jpeg, detail: "quality must be 1...100, found \(quality)")
        }
        guard image.width > 0, image.height > 0 else {
            throw .encodeFailed(format: .jpeg, detail: "empty image \(image.width)x\(image.height)")
        }
        guard let handle = tjInitCompress() else {
            throw .encodeFailed(format: .jpeg, detail: "tjInitCompress failed")
        }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(image.width), 0, Int32(image.height),
                        Int32(TJPF_RGB.rawValue), &output, &size, subsampling.tj, Int32(quality),
                        TJFLAG_ACCURATEDCT)
        }
        defer { if let output { tjFree(output) } }
        guard status == 0, let output else {
            throw .encodeFailed(format: .jpeg, detail: message(handle))
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    /// A reusable decompressor: creating one costs more than decoding a 32x32 image, so a
    /// loader keeps one per thread. Not thread-safe; use each from one thread at a time.
    public final class Decoder {
        private let handle: tjhandle

        /// Largest accepted image, in pixels, so a damaged header cannot ask for gigabytes.
        public static let maxPixels = 1 << 26

        public init() {
            guard let h = tjInitDecompress() else { fatalError("tjInitDecompress failed: out of memory") }
            handle = h
        }

        deinit { tjDestroy(handle) }

        /// Decodes one JPEG file's bytes to RGB8 (see `JPEG.decode`).
        public func decode(_ bytes: UnsafeRawBufferPointer) throws(ImageCodecError) -> RGBImage {
            guard ImageFormat.sniff(bytes) == .jpeg else {
                throw .notAnImage(firstBytes: Array(bytes.prefix(8)))
            }
            let jpeg = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var width: Int32 = 0, height: Int32 = 0, subsamp: Int32 = 0, colorspace: Int32 = 0
            if tjDecompressHeader3(handle, jpeg, UInt(bytes.count), &width, &height, &subsamp, &colorspace) != 0 {
                throw .corrupt(format: .jpeg, detail: JPEG.message(handle))
            }
            guard width > 0, height > 0 else {
                throw .corrupt(format: .jpeg, detail: "no frame header (image size \(width)x\(height)): truncated?")
            }
            guard Int(width) * Int(height) <= Self.maxPixels else {
                throw .unsupported(format: .jpeg, detail: "image size \(width)x\(height)")
            }
            var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
            let status = pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, jpeg, UInt(bytes.count), dst.baseAddress, width, 0, height,
                              Int32(TJPF_RGB.rawValue), TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING)
            }
            // A truncated stream is only a warning to libjpeg (it pads with grey); with
            // STOPONWARNING it fails here, and any failure, warning or fatal, is refused.
            if status != 0 {
                let kind = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) ? "" : "fatal: "
                throw .corrupt(format: .jpeg, detail: kind + JPEG.message(handle))
            }
            return RGBImage(width: Int(width), height: Int(height), pixels: pixels)
        }
    }

    fileprivate static func message(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown TurboJPEG error" }
        return String(cString: text)
    }
}
