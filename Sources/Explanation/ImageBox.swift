/// A rectangle of image pixels: rows and columns, 0-based, upper bounds excluded.
public struct ImageBox: Sendable, Equatable {
    public var rows: Range<Int>
    public var cols: Range<Int>

    public init(rows: Range<Int>, cols: Range<Int>) {
        self.rows = rows
        self.cols = cols
    }

    public func contains(row: Int, col: Int) -> Bool { rows.contains(row) && cols.contains(col) }

    /// The box grown by `margin` pixels on every side, clipped to a `width x height` image.
    public func dilated(by margin: Int, width: Int, height: Int) -> ImageBox {
        ImageBox(rows: max(0, rows.lowerBound - margin)..<min(height, rows.upperBound + margin),
                 cols: max(0, cols.lowerBound - margin)..<min(width, cols.upperBound + margin))
    }

    /// Its share of a `width x height` image's area.
    public func areaShare(width: Int, height: Int) -> Double {
        Double(rows.count * cols.count) / Double(width * height)
    }
}
