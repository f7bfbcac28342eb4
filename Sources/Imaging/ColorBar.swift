import Foundation

/// A vertical colour scale: the colour map from 0 (bottom) to 1 (top), with a tick and a label
/// at each of `labels`, spread evenly from bottom to top, so a reader can tell what a colour of
/// the heatmap beside it is worth.
public enum ColorBar {
    /// A raster `height` pixels tall: a `barWidth`-wide bar, then its ticks and labels.
    /// `labels` (at least 2) go bottom to top; `title` (may be empty) is written above the bar.
    public static func render(height: Int, labels: [String], title: String = "", colormap: Colormap = .jet,
                              barWidth: Int = 20, textScale: Int = 2, background: RGB = .white, textColor: RGB = .black) -> Raster {
        precondition(height >= 2 && labels.count >= 2, "ColorBar: needs a height of at least 2 and at least 2 labels, found \(height) and \(labels.count)")
        let textHeight = BitmapFont.glyphHeight * textScale
        let labelWidth = labels.map { BitmapFont.size(of: $0, scale: textScale).width }.max() ?? 0
        let titleHeight = title.isEmpty ? 0 : textHeight + textScale * 3
        let pad = textHeight / 2  // room for the top and bottom labels' halves
        let tick = 3 * textScale
        let width = max(barWidth + tick + textScale * 2 + labelWidth, BitmapFont.size(of: title, scale: textScale).width)
        var out = Raster(width: width, height: titleHeight + pad + height + pad, color: background)
        if !title.isEmpty { out.drawText(title, x: 0, y: 0, textColor, scale: textScale) }
        let top = titleHeight + pad
        let table = colormap.lookupTable()
        for y in 0..<height {
            let value = Float(height - 1 - y) / Float(height - 1)
            out.fillRect(PixelRect(x: 0, y: top + y, width: barWidth, height: 1), table[Heatmap.level(value)])
        }
        out.strokeRect(PixelRect(x: 0, y: top, width: barWidth, height: height), textColor)
        for (i, label) in labels.enumerated() {
            let y = top + (height - 1) - (height - 1) * i / (labels.count - 1)
            out.fillRect(PixelRect(x: barWidth, y: y, width: tick, height: max(1, textScale / 2)), textColor)
            out.drawText(label, x: barWidth + tick + textScale * 2, y: y - textHeight / 2 + textScale / 2, textColor, scale: textScale)
        }
        return out
    }

    /// Labels for a scale from 0 to `top`: 0, top / 2, top, with 3 significant digits.
    public static func labels(top: Float) -> [String] {
        [0, top / 2, top].map { format($0) }
    }

    /// 3 significant digits without an exponent for 0.001 ... 99999, else with one.
    public static func format(_ v: Float) -> String {
        guard v != 0 else { return "0" }
        let magnitude = abs(v)
        if magnitude >= 0.001 && magnitude < 100_000 {
            let decimals = max(0, 2 - Int(log10(Double(magnitude)).rounded(.down)))
            return String(format: "%.\(decimals)f", Double(v))
        }
        return String(format: "%.2e", Double(v))
    }
}
