/// An RGB8 image in memory: `height` rows of `width` pixels, 3 bytes each (HWC, row-major,
/// top row first), the layout a PNG encoder takes. Pixel (x, y) starts at byte 3 * (y * width + x).
///
/// Drawing calls clip to the raster (and to an optional clip rectangle): drawing outside is
/// ignored, never a crash.
public struct Raster: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// RGB8 bytes, count = width * height * 3.
    public var pixels: [UInt8]

    /// A raster filled with one colour.
    public init(width: Int, height: Int, color: RGB = .white) {
        precondition(width >= 0 && height >= 0, "Raster: negative size \(width)x\(height)")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fill(color)
    }

    /// Wraps existing RGB8 bytes, [height, width, 3].
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3,
                     "Raster: expected \(width)x\(height)x3 = \(width * height * 3) bytes, found \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The whole raster as a rectangle.
    public var bounds: PixelRect { PixelRect(x: 0, y: 0, width: width, height: height) }

    /// The pixel at column x, row y (which must be inside).
    public subscript(x: Int, y: Int) -> RGB {
        get {
            precondition(bounds.contains(x: x, y: y), "Raster: (\(x), \(y)) outside \(width)x\(height)")
            let i = 3 * (y * width + x)
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            precondition(bounds.contains(x: x, y: y), "Raster: (\(x), \(y)) outside \(width)x\(height)")
            let i = 3 * (y * width + x)
            pixels[i] = newValue.r
            pixels[i + 1] = newValue.g
            pixels[i + 2] = newValue.b
        }
    }

    /// Paints every pixel.
    public mutating func fill(_ color: RGB) {
        pixels.withUnsafeMutableBufferPointer { p in
            var i = 0
            while i < p.count {
                p[i] = color.r; p[i &+ 1] = color.g; p[i &+ 2] = color.b
                i &+= 3
            }
        }
    }

    /// Paints one pixel; outside the raster (or `clip`) it does nothing.
    public mutating func setPixel(x: Int, y: Int, _ color: RGB, clip: PixelRect? = nil) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        if let clip, !clip.contains(x: x, y: y) { return }
        let i = 3 * (y * width + x)
        pixels[i] = color.r
        pixels[i + 1] = color.g
        pixels[i + 2] = color.b
    }

    /// Paints a filled rectangle, clipped to the raster.
    public mutating func fillRect(_ rect: PixelRect, _ color: RGB) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        for y in r.y..<r.maxY {
            for x in r.x..<r.maxX { setPixel(x: x, y: y, color) }
        }
    }

    /// Paints the outline of a rectangle, `thickness` pixels wide, inside `rect`.
    public mutating func strokeRect(_ rect: PixelRect, _ color: RGB, thickness: Int = 1) {
        let t = min(thickness, rect.width, rect.height)
        guard t > 0 else { return }
        fillRect(PixelRect(x: rect.x, y: rect.y, width: rect.width, height: t), color)
        fillRect(PixelRect(x: rect.x, y: rect.maxY - t, width: rect.width, height: t), color)
        fillRect(PixelRect(x: rect.x, y: rect.y, width: t, height: rect.height), color)
        fillRect(PixelRect(x: rect.maxX - t, y: rect.y, width: t, height: rect.height), color)
    }

    /// Copies `source` with its top-left corner at (x, y), clipped to this raster.
    public mutating func blit(_ source: Raster, x: Int, y: Int) {
        let target = PixelRect(x: x, y: y, width: source.width, height: source.height).intersection(bounds)
        guard !target.isEmpty else { return }
        let rowBytes = target.width * 3
        source.pixels.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for row in target.y..<target.maxY {
                    let from = 3 * ((row - y) * source.width + (target.x - x))
                    let to = 3 * (row * width + target.x)
                    for k in 0..<rowBytes { dst[to &+ k] = src[from &+ k] }
                }
            }
        }
    }

    /// A straight line from (x0, y0) to (x1, y1), both ends included (Bresenham), drawn with a
    /// square pen `thickness` pixels wide centred on the line (so a thick line's ends
    /// reach (thickness - 1) / 2 pixels past the endpoints, like square caps). With `dash` > 0 the line is drawn
    /// `dash` steps on, `dash` steps off. Pixels outside the raster or `clip` are skipped; the
    /// segment is first clipped (Liang-Barsky), so far-away endpoints cost nothing.
    public mutating func drawLine(x0: Int, y0: Int, x1: Int, y1: Int, _ color: RGB,
                                  thickness: Int = 1, dash: Int = 0, clip: PixelRect? = nil) {
        let t = max(1, thickness)
        let window = (clip.map { $0.intersection(bounds) } ?? bounds)
        guard !window.isEmpty else { return }
        // Clip against the window grown by the pen, so the pen's edge still reaches the border.
        let grown = window.insetBy(-t)
        guard let (a, b) = Self.clipSegment(Double(x0), Double(y0), Double(x1), Double(y1), to: grown) else { return }
        var x = Int(a.x.rounded()), y = Int(a.y.rounded())
        let xEnd = Int(b.x.rounded()), yEnd = Int(b.y.rounded())
        let dx = abs(xEnd - x), dy = -abs(yEnd - y)
        let sx = x < xEnd ? 1 : -1, sy = y < yEnd ? 1 : -1
        var err = dx + dy
        let before = (t - 1) / 2
        var step = 0
        while true {
            if dash <= 0 || (step / dash) % 2 == 0 {
                for py in (y - before)..<(y - before + t) {
                    for px in (x - before)..<(x - before + t) { setPixel(x: px, y: py, color, clip: window) }
                }
            }
            if x == xEnd && y == yEnd { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
            step += 1
        }
    }

    /// Liang-Barsky: the part of a segment inside `rect` (as a closed box of pixel centres),
    /// or nil when none is.
    static func clipSegment(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double,
                            to rect: PixelRect) -> ((x: Double, y: Double), (x: Double, y: Double))? {
        guard x0.isFinite, y0.isFinite, x1.isFinite, y1.isFinite else { return nil }
        let minX = Double(rect.x), maxX = Double(rect.maxX - 1)
        let minY = Double(rect.y), maxY = Double(rect.maxY - 1)
        let dx = x1 - x0, dy = y1 - y0
        var t0 = 0.0, t1 = 1.0
        for (p, q) in [(-dx, x0 - minX), (dx, maxX - x0), (-dy, y0 - minY), (dy, maxY - y0)] {
            if p == 0 {
                if q < 0 { return nil }
            } else {
                let r = q / p
                if p < 0 { if r > t1 { return nil }; t0 = max(t0, r) } else { if r < t0 { return nil }; t1 = min(t1, r) }
            }
        }
        return ((x0 + t0 * dx, y0 + t0 * dy), (x0 + t1 * dx, y0 + t1 * dy))
    }

    /// Draws `text` on one line with `BitmapFont`, each font pixel a `scale` x `scale` block.
    /// (x, y) is the top-left corner of the text's box (see `BitmapFont.size(of:scale:)`).
    /// With `vertical`, the text is turned 90 degrees anticlockwise (reads bottom to top) and
    /// (x, y) is the top-left corner of the turned box, `size.height` wide and `size.width` tall.
    public mutating func drawText(_ text: String, x: Int, y: Int, _ color: RGB,
                                  scale: Int = 1, vertical: Bool = false, clip: PixelRect? = nil) {
        let s = max(1, scale)
        let textWidth = BitmapFont.size(of: text, scale: s).width
        for (index, character) in text.enumerated() {
            let rows = BitmapFont.rows(of: character)
            for (gy, bits) in rows.enumerated() where bits != 0 {
                for gx in 0..<BitmapFont.glyphWidth where bits & (0b10000 >> UInt8(gx)) != 0 {
                    // (u, v): position in the horizontal text box.
                    let u = (index * BitmapFont.advance + gx) * s, v = gy * s
                    for dy in 0..<s {
                        for dx in 0..<s {
                            if vertical {
                                setPixel(x: x + v + dy, y: y + textWidth - 1 - (u + dx), color, clip: clip)
                            } else {
                                setPixel(x: x + u + dx, y: y + v + dy, color, clip: clip)
                            }
                        }
                    }
                }
            }
        }
    }
}
