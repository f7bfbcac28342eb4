/// Turning a small activation map (e.g. a 13x13 Grad-CAM) into something a person can see:
/// upsampling, normalising, colour-mapping, overlaying and laying out.
///
/// Maps are row-major `[Float]` of `height * width` values, row 0 at the top, like `Raster`.
public enum Heatmap {
    /// How `normalize` maps values into [0, 1].
    public enum Normalization: Sendable {
        /// (v - min) / (max - min). A constant map (no contrast) becomes all zeros.
        case minMax
        /// max(v, 0) / max, as in the Keras Grad-CAM example (the map is a ReLU output).
        /// A map with no positive value becomes all zeros.
        case divideByMax
    }

    /// Bilinear resize of a single-channel map, [height, width] -> [toHeight, toWidth].
    ///
    /// Convention: half-pixel centres (`alignCorners == false`, the default, as OpenCV's
    /// `resize` and `tf.image.resize`): output pixel i samples input coordinate
    /// (i + 0.5) * width / toWidth - 0.5, clamped to the edge, so each input value covers an
    /// equal share of the output. With `alignCorners` (PyTorch's `align_corners=True`) the
    /// corner pixels of input and output coincide: i samples i * (width - 1) / (toWidth - 1).
    public static func bilinearUpsample(map: [Float], width: Int, height: Int, toWidth: Int, toHeight: Int,
                                        alignCorners: Bool = false) -> [Float] {
        precondition(width > 0 && height > 0 && toWidth > 0 && toHeight > 0, "bilinearUpsample: empty size")
        precondition(map.count == width * height, "bilinearUpsample: expected \(width * height) values, found \(map.count)")
        let xs = samplePlan(from: width, to: toWidth, alignCorners: alignCorners)
        let ys = samplePlan(from: height, to: toHeight, alignCorners: alignCorners)
        var out = [Float](repeating: 0, count: toWidth * toHeight)
        // Separable: interpolate each needed pair of input rows along x, then mix the two rows.
        var upper = [Float](repeating: 0, count: toWidth), lower = upper
        map.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in
                for oy in 0..<toHeight {
                    let (y0, y1, ty) = ys[oy]
                    for ox in 0..<toWidth {
                        let (x0, x1, tx) = xs[ox]
                        let a0 = m[y0 &* width &+ x0], b0 = m[y0 &* width &+ x1]
                        let a1 = m[y1 &* width &+ x0], b1 = m[y1 &* width &+ x1]
                        upper[ox] = a0 + (b0 - a0) * tx
                        lower[ox] = a1 + (b1 - a1) * tx
                    }
                    for ox in 0..<toWidth {
                        o[oy &* toWidth &+ ox] = upper[ox] + (lower[ox] - upper[ox]) * ty
                    }
                }
            }
        }
        return out
    }

    /// For each output index: the two input indices to mix and the weight of the second.
    static func samplePlan(from n: Int, to m: Int, alignCorners: Bool) -> [(Int, Int, Float)] {
        (0..<m).map { i in
            var s: Double
            if alignCorners {
                s = m > 1 ? Double(i) * Double(n - 1) / Double(m - 1) : 0
            } else {
                s = (Double(i) + 0.5) * Double(n) / Double(m) - 0.5
            }
            s = min(max(s, 0), Double(n - 1))
            let i0 = Int(s.rounded(.down)), i1 = min(i0 + 1, n - 1)
            return (i0, i1, Float(s - Double(i0)))
        }
    }

    /// Scales a map into [0, 1] (see `Normalization`). Non-finite values count as 0; a map
    /// without contrast (or without a positive value, for `.divideByMax`) becomes all zeros,
    /// so a zero map stays zero.
    public static func normalize(_ map: [Float], mode: Normalization = .minMax) -> [Float] {
        let clean = map.map { $0.isFinite ? $0 : 0 }
        guard let hi = clean.max(), let lo = clean.min() else { return [] }
        switch mode {
        case .minMax:
            guard hi > lo else { return [Float](repeating: 0, count: clean.count) }
            let scale = 1 / (hi - lo)
            return clean.map { min(1, ($0 - lo) * scale) }
        case .divideByMax:
            guard hi > 0 else { return [Float](repeating: 0, count: clean.count) }
            return clean.map { min(1, max($0, 0) / hi) }
        }
    }

    /// Colours a map of values in [0, 1] (clamped), [height, width] -> a Raster of the same size.
    public static func colorize(_ heat: [Float], width: Int, height: Int, colormap: Colormap = .jet) -> Raster {
        precondition(heat.count == width * height, "colorize: expected \(width * height) values, found \(heat.count)")
        let table = colormap.lookupTable()
        var pixels = [UInt8](repeating: 0, count: heat.count * 3)
        for (i, v) in heat.enumerated() {
            let c = table[level(v)]
            pixels[3 * i] = c.r; pixels[3 * i + 1] = c.g; pixels[3 * i + 2] = c.b
        }
        return Raster(width: width, height: height, pixels: pixels)
    }

    /// The image with the colour-mapped heat laid over it: (1 - alpha) * image + alpha * colour,
    /// per channel, rounded. `heat` has one value in [0, 1] per image pixel; `alpha` in [0, 1]:
    /// 0 gives the image, 1 the colour-mapped heat.
    public static func blend(image: Raster, heat: [Float], colormap: Colormap = .jet, alpha: Float = 0.4) -> Raster {
        precondition(heat.count == image.width * image.height,
                     "blend: expected \(image.width * image.height) heat values, found \(heat.count)")
        let a = alpha.clamped(0, 1)
        let table = colormap.lookupTable()
        var out = image
        func mix(_ base: UInt8, _ top: UInt8) -> UInt8 {
            UInt8((Float(base) + (Float(top) - Float(base)) * a).rounded().clamped(0, 255))
        }
        for (i, v) in heat.enumerated() {
            let c = table[level(v)]
            out.pixels[3 * i] = mix(image.pixels[3 * i], c.r)
            out.pixels[3 * i + 1] = mix(image.pixels[3 * i + 1], c.g)
            out.pixels[3 * i + 2] = mix(image.pixels[3 * i + 2], c.b)
        }
        return out
    }

    /// Index 0...255 of a value in [0, 1] (clamped; NaN -> 0).
    static func level(_ v: Float) -> Int {
        v > 0 ? Int((min(v, 1) * 255).rounded()) : 0
    }

    /// Each pixel repeated as a `factor` x `factor` block (crisp enlargement of a 32x32 image).
    public static func scaleNearest(_ image: Raster, factor: Int) -> Raster {
        precondition(factor >= 1, "scaleNearest: factor must be at least 1, found \(factor)")
        let w = image.width * factor, h = image.height * factor
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let sy = y / factor
            for x in 0..<w {
                let s = 3 * (sy * image.width + x / factor), d = 3 * (y * w + x)
                pixels[d] = image.pixels[s]; pixels[d + 1] = image.pixels[s + 1]; pixels[d + 2] = image.pixels[s + 2]
            }
        }
        return Raster(width: w, height: h, pixels: pixels)
    }

    /// Smooth enlargement by `factor`, each channel resized with `bilinearUpsample`
    /// (half-pixel centres) and rounded.
    public static func scaleBilinear(_ image: Raster, factor: Int) -> Raster {
        precondition(factor >= 1, "scaleBilinear: factor must be at least 1, found \(factor)")
        let w = image.width * factor, h = image.height * factor
        guard w > 0, h > 0 else { return Raster(width: w, height: h) }
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for k in 0..<3 {
            let channel = stride(from: k, to: image.pixels.count, by: 3).map { Float(image.pixels[$0]) }
            let big = bilinearUpsample(map: channel, width: image.width, height: image.height, toWidth: w, toHeight: h)
            for (i, v) in big.enumerated() { pixels[3 * i + k] = UInt8(v.rounded().clamped(0, 255)) }
        }
        return Raster(width: w, height: h, pixels: pixels)
    }

    /// Three rasters side by side, `spacing` pixels apart and around, each with its caption
    /// centred underneath (captions longer than their panel are clipped to it), on `background`.
    /// Panels of different heights are top-aligned; captions share one line.
    public static func triptych(original: Raster, heatmap: Raster, overlay: Raster, spacing: Int = 8,
                                captions: [String] = ["image", "Grad-CAM", "overlay"],
                                textScale: Int = 1, background: RGB = .white, textColor: RGB = .black) -> Raster {
        row([original, heatmap, overlay], spacing: spacing, captions: captions, textScale: textScale, background: background,
            textColor: textColor)
    }

    /// The picture of one explanation: the image, its colour-mapped heat (values in [0, 1]) and
    /// their blend, each enlarged `factor` times (nearest neighbour, so pixels stay visible), then
    /// a colour bar as tall as a panel whose `barLabels` (bottom to top) say what the colours are
    /// worth; `captions` go under the first three.
    public static func explanationFigure(image: Raster, heat: [Float], barLabels: [String], captions: [String],
                                         factor: Int = 8, colormap: Colormap = .jet, alpha: Float = 0.45, textScale: Int = 2) -> Raster {
        let colored = colorize(heat, width: image.width, height: image.height, colormap: colormap)
        let overlay = blend(image: image, heat: heat, colormap: colormap, alpha: alpha)
        let bar = ColorBar.render(height: image.height * factor, labels: barLabels, colormap: colormap, textScale: textScale)
        return row([scaleNearest(image, factor: factor), scaleNearest(colored, factor: factor), scaleNearest(overlay, factor: factor), bar],
                   captions: captions, textScale: textScale)
    }

    /// Rasters side by side, `spacing` pixels apart and around, each with its caption (if any)
    /// centred underneath (clipped to its panel), on `background`. Panels of different heights
    /// are top-aligned; captions share one line.
    public static func row(_ panels: [Raster], spacing: Int = 8, captions: [String], textScale: Int = 1,
                           background: RGB = .white, textColor: RGB = .black) -> Raster {
        let gap = max(0, spacing)
        let captionHeight = captions.isEmpty ? 0 : BitmapFont.lineHeight * textScale + gap
        let width = panels.reduce(gap) { $0 + $1.width + gap }
        let tallest = panels.map(\.height).max() ?? 0
        let height = gap + tallest + captionHeight + gap
        var out = Raster(width: width, height: height, color: background)
        var x = gap
        for (i, panel) in panels.enumerated() {
            out.blit(panel, x: x, y: gap)
            if i < captions.count {
                let size = BitmapFont.size(of: captions[i], scale: textScale)
                let clip = PixelRect(x: x, y: 0, width: panel.width, height: height)
                out.drawText(captions[i], x: x + (panel.width - size.width) / 2, y: gap + tallest + gap,
                             textColor, scale: textScale, clip: clip)
            }
            x += panel.width + gap
        }
        return out
    }
}
