import Foundation

/// A labelled confusion matrix as an image: rows = true class, columns = predicted class, each
/// cell shaded from white (0) to dark blue (the largest count) and showing its count and its
/// share of the row (the class's recall on the diagonal).
public struct ConfusionMatrixImage: Sendable {
    public var labels: [String]
    /// counts[true][predicted], square, labels.count x labels.count.
    public var counts: [[Int]]
    public var title: String

    public static let darkest = RGB(8, 48, 107)

    public init(labels: [String] = ["REAL", "FAKE"], counts: [[Int]], title: String = "Confusion matrix") {
        precondition(counts.count == labels.count && counts.allSatisfy { $0.count == labels.count },
                     "ConfusionMatrixImage: expected \(labels.count)x\(labels.count) counts")
        self.labels = labels
        self.counts = counts
        self.title = title
    }

    /// Text scale at a given size: 2 at 480x480, at least 1.
    public static func textScale(width: Int, height: Int) -> Int { max(1, min(width, height) / 240) }

    /// The rectangle of cell (row = true class, column = predicted class) at a given size.
    public func cellRect(row: Int, column: Int, width: Int, height: Int) -> PixelRect {
        let grid = gridRect(width: width, height: height)
        let n = labels.count
        let cw = grid.width / n, ch = grid.height / n
        return PixelRect(x: grid.x + column * cw, y: grid.y + row * ch, width: cw, height: ch)
    }

    func gridRect(width: Int, height: Int) -> PixelRect {
        let s = Self.textScale(width: width, height: height)
        let line = BitmapFont.lineHeight * s, pad = 6 * s
        let labelWidth = labels.map { BitmapFont.size(of: $0, scale: s).width }.max() ?? 0
        let left = pad + line + pad + labelWidth + pad  // "true" (vertical), class labels
        let top = pad + (title.isEmpty ? 0 : line + pad) + line + pad + line + pad  // title, "predicted", labels
        let n = max(1, labels.count)
        let side = max(n, min(width - left - pad, height - top - pad) / n * n)
        // Centred in the room right of the labels.
        let x = left + max(0, (width - left - pad - side) / 2)
        return PixelRect(x: x, y: top, width: side, height: side)
    }

    public func render(width: Int = 480, height: Int = 480) -> Raster {
        var image = Raster(width: width, height: height, color: .white)
        let s = Self.textScale(width: width, height: height)
        let line = BitmapFont.lineHeight * s, pad = 6 * s
        let grid = gridRect(width: width, height: height)
        let maxCount = max(1, counts.flatMap { $0 }.max() ?? 1)
        func centered(_ text: String, in rect: PixelRect, y: Int? = nil, color: RGB) {
            let size = BitmapFont.size(of: text, scale: s)
            image.drawText(text, x: rect.x + (rect.width - size.width) / 2, y: y ?? rect.y + (rect.height - size.height) / 2,
                           color, scale: s, clip: rect)
        }
        var y = pad
        if !title.isEmpty {
            centered(title, in: PixelRect(x: 0, y: y, width: width, height: line), color: .black)
            y += line + pad
        }
        centered("predicted", in: PixelRect(x: grid.x, y: y, width: grid.width, height: line), color: .black)
        y += line + pad
        let trueSize = BitmapFont.size(of: "true", scale: s)
        image.drawText("true", x: pad, y: grid.y + (grid.height - trueSize.width) / 2, .black, scale: s, vertical: true)

        for (i, label) in labels.enumerated() {
            let column = cellRect(row: 0, column: i, width: width, height: height)
            centered(label, in: PixelRect(x: column.x, y: y, width: column.width, height: line), color: .black)
            let row = cellRect(row: i, column: 0, width: width, height: height)
            let size = BitmapFont.size(of: label, scale: s)
            image.drawText(label, x: grid.x - pad - size.width, y: row.y + (row.height - size.height) / 2, .black, scale: s)
        }
        for (r, rowCounts) in counts.enumerated() {
            let rowTotal = rowCounts.reduce(0, +)
            for (c, count) in rowCounts.enumerated() {
                let cell = cellRect(row: r, column: c, width: width, height: height)
                let shade = Float(count) / Float(maxCount)
                image.fillRect(cell, RGB.white.mixed(with: Self.darkest, shade))
                let ink: RGB = shade > 0.5 ? .white : .black
                let share = rowTotal > 0 ? String(format: "%.1f%%", 100 * Double(count) / Double(rowTotal)) : "-"
                let mid = cell.y + cell.height / 2
                centered(String(count), in: cell, y: mid - line, color: ink)
                centered(share, in: cell, y: mid + (line - BitmapFont.glyphHeight * s), color: ink)
            }
        }
        image.strokeRect(grid.insetBy(-1), .black)
        for k in 1..<max(1, labels.count) {
            let cell = cellRect(row: k, column: k, width: width, height: height)
            image.drawLine(x0: grid.x, y0: cell.y, x1: grid.maxX - 1, y1: cell.y, .black)
            image.drawLine(x0: cell.x, y0: grid.y, x1: cell.x, y1: grid.maxY - 1, .black)
        }
        return image
    }
}
