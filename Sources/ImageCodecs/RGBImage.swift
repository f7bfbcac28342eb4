/// An 8-bit RGB image, stored row-major as height x width x 3 bytes (HWC, R then G then B).
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// `height * width * 3` bytes, row-major, channels interleaved (HWC RGB8).
    public var pixels: [UInt8]

    /// An image from existing pixels; `pixels.count` must be `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "image size must not be negative")
        precondition(pixels.count == width * height * 3,
                     "expected \(width * height * 3) bytes for \(width)x\(height) RGB, found \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A black image of the given size.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: 0, count: width * height * 3))
    }

    /// The image resampled to `width x height` with bilinear interpolation.
    ///
    /// Pixel centres are aligned (the convention of OpenCV's and PIL's bilinear resize without
    /// antialiasing): output pixel `x` samples the source at `(x + 0.5) * srcW / dstW - 0.5`,
    /// clamped to the image. Values are rounded to the nearest integer.
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(newWidth > 0 && newHeight > 0, "target size must be positive")
        precondition(width > 0 && height > 0, "cannot resize an empty image")
        if newWidth == width && newHeight == height { return self }
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
        let scaleX = Double(width) / Double(newWidth)
        let scaleY = Double(height) / Double(newHeight)
        // Per output column: the two source columns and the weight of the right one.
        var x0s = [Int](repeating: 0, count: newWidth)
        var x1s = [Int](repeating: 0, count: newWidth)
        var wxs = [Double](repeating: 0, count: newWidth)
        for x in 0..<newWidth {
            let sx = min(max((Double(x) + 0.5) * scaleX - 0.5, 0), Double(width - 1))
            let x0 = Int(sx)
            x0s[x] = x0
            x1s[x] = min(x0 + 1, width - 1)
            wxs[x] = sx - Double(x0)
        }
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<newHeight {
                    let sy = min(max((Double(y) + 0.5) * scaleY - 0.5, 0), Double(height - 1))
                    let y0 = Int(sy)
                    let y1 = min(y0 + 1, height - 1)
                    let wy = sy - Double(y0)
                    let row0 = y0 * width * 3
                    let row1 = y1 * width * 3
                    for x in 0..<newWidth {
                        let a = x0s[x] * 3, b = x1s[x] * 3, wx = wxs[x]
                        for c in 0..<3 {
                            let top = Double(src[row0 + a + c]) * (1 - wx) + Double(src[row0 + b + c]) * wx
                            let bottom = Double(src[row1 + a + c]) * (1 - wx) + Double(src[row1 + b + c]) * wx
                            let v = top * (1 - wy) + bottom * wy
                            dst[(y * newWidth + x) * 3 + c] = UInt8(min(max(v.rounded(), 0), 255))
                        }
                    }
                }
            }
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: out)
    }
}
