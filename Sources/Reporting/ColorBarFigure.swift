import Foundation
import Imaging

/// A vertical colour scale as SVG: the colour map from 0 (bottom) to `top`, as stacked bands,
/// with ticks and labels in text, so it reads as sharply as the page's text.
public enum ColorBarFigure {
    /// Size in the SVG's units: the same height as a gallery picture, so both scale together.
    public static func svg(id: String, top: Double, height: Double, colormap: Colormap = .jet, bands: Int = 64) -> String {
        let barX = 6.0, barW = 26.0, pad = 12.0, width = 128.0
        let barH = height - 2 * pad
        var s = ""
        for i in 0..<bands {
            let value = (Double(i) + 0.5) / Double(bands)
            let c = colormap.color(Float(value))
            let y = pad + barH * (1 - Double(i + 1) / Double(bands))
            // A hair taller than its band, so no seam shows between bands.
            s += SVG.rect(x: barX, y: y, width: barW, height: barH / Double(bands) + 0.4,
                          fill: String(format: "#%02x%02x%02x", c.r, c.g, c.b))
        }
        s += SVG.rect(x: barX, y: pad, width: barW, height: barH, fill: "none", stroke: "#333")
        let labels = ColorBar.labels(top: Float(top))
        for (i, label) in labels.enumerated() {
            let y = pad + barH * (1 - Double(i) / Double(labels.count - 1))
            s += SVG.line(barX + barW, y, barX + barW + 7, y, stroke: "#333", width: 1.5)
            s += SVG.text(label, x: barX + barW + 11, y: y + 7, size: 21)
        }
        return SVG.document(id: id, width: width, height: height, title: "colour scale from 0 to \(labels.last ?? "")", content: s)
            .replacingOccurrences(of: "class=\"chart\"", with: "class=\"colorbar\"")
    }
}
