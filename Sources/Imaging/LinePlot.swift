/// A line chart rendered to a `Raster`: one or more named series, axes with nice ticks and
/// labels, light grid, title and legend. For loss curves per epoch and ROC curves.
///
/// Text uses `BitmapFont` at scale max(1, min(width, height) / 240): 2 at 640x480.
public struct LinePlot: Sendable {
    /// One named polyline. Points with a non-finite coordinate break the line.
    public struct Series: Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        public var color: RGB
        public var thickness: Int
        /// Dash length in pixels (0 = solid).
        public var dash: Int
        /// Draw a small square at every point.
        public var markers: Bool

        public init(name: String, x: [Double], y: [Double], color: RGB, thickness: Int = 2, dash: Int = 0,
                    markers: Bool = false) {
            precondition(x.count == y.count, "LinePlot.Series \(name): \(x.count) x values, \(y.count) y values")
            self.name = name
            self.x = x
            self.y = y
            self.color = color
            self.thickness = thickness
            self.dash = dash
            self.markers = markers
        }
    }

    public enum LegendPosition: Sendable {
        case topRight, topLeft, bottomRight, bottomLeft, none
    }

    /// A vertical line across the whole plotting area at one x value (e.g. the kept epoch),
    /// named in the legend unless its name is empty. It does not widen the axis ranges.
    public struct VerticalLine: Sendable {
        public var x: Double
        public var name: String
        public var color: RGB
        /// Dash length in pixels (0 = solid).
        public var dash: Int

        public init(x: Double, name: String, color: RGB = .darkGray, dash: Int = 4) {
            self.x = x
            self.name = name
            self.color = color
            self.dash = dash
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Axis ranges; nil = from the data, widened to nice ticks.
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    public var legend: LegendPosition
    public var verticalLines: [VerticalLine]
    /// The smallest step between x ticks: 1 for epochs, so 3 epochs are not ticked 1.0, 1.5, 2.0.
    public var xMinimumStep: Double
    /// Room added at both ends of an axis ranged from the data, as a fraction of its span, so a
    /// line along the extreme value (an accuracy of 1, a loss near 0) is not hidden by the frame.
    /// The ticks stay those of the unpadded range.
    public var padding: Double

    public init(title: String = "", xLabel: String = "", yLabel: String = "", series: [Series] = [],
                xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                legend: LegendPosition = .topRight, verticalLines: [VerticalLine] = [], xMinimumStep: Double = 0,
                padding: Double = 0) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xRange = xRange
        self.yRange = yRange
        self.legend = legend
        self.verticalLines = verticalLines
        self.xMinimumStep = xMinimumStep
        self.padding = padding
    }

    /// A ROC curve (false positive rate against true positive rate) with the chance diagonal,
    /// both axes fixed to [0, 1]; the AUC, when given, goes in the legend.
    public static func roc(fpr: [Double], tpr: [Double], auc: Double?, title: String = "ROC curve") -> LinePlot {
        let name = auc.map { "ROC (AUC = " + AxisTicks.label($0, step: 0.0001) + ")" } ?? "ROC"
        return LinePlot(title: title, xLabel: "false positive rate", yLabel: "true positive rate", series: [
            Series(name: name, x: fpr, y: tpr, color: .blue, thickness: 2),
            Series(name: "chance", x: [0, 1], y: [0, 1], color: .gray, thickness: 1, dash: 6),
        ], xRange: 0...1, yRange: 0...1, legend: .bottomRight)
    }

    /// Values per epoch (epochs numbered from 1), e.g. `["train": losses, "validation": ...]`,
    /// in the order given, coloured from `RGB.palette`.
    public static func perEpoch(_ curves: [(name: String, values: [Double])], title: String,
                                yLabel: String = "loss") -> LinePlot {
        let series = curves.enumerated().map { i, curve in
            Series(name: curve.name, x: curve.values.indices.map { Double($0 + 1) }, y: curve.values,
                   color: RGB.palette[i % RGB.palette.count], thickness: 2, markers: curve.values.count <= 40)
        }
        return LinePlot(title: title, xLabel: "epoch", yLabel: yLabel, series: series, xMinimumStep: 1)
    }

    /// Where things go at a given size: the plotting area and the data-to-pixel mapping.
    public struct Layout: Sendable, Equatable {
        /// The plotting area inside the axes' frame; data are drawn only here.
        public var area: PixelRect
        public var xRange: ClosedRange<Double>
        public var yRange: ClosedRange<Double>
        public var xTicks: [Double]
        public var yTicks: [Double]
        public var xStep: Double
        public var yStep: Double
        public var textScale: Int

        /// The pixel of a data point: x grows to the right, y upwards; the range's ends land on
        /// the area's first and last column (row). Far-away or non-finite values are clamped to
        /// +-1e9 pixels (non-finite to the area's origin) so the result is always an Int.
        public func pixel(x: Double, y: Double) -> (x: Int, y: Int) {
            let p = point(x: x, y: y)
            func whole(_ v: Double, _ fallback: Int) -> Int { v.isFinite ? Int(min(max(v, -1e9), 1e9).rounded()) : fallback }
            return (whole(p.x, area.x), whole(p.y, area.maxY - 1))
        }

        func point(x: Double, y: Double) -> (x: Double, y: Double) {
            let fx = (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound)
            let fy = (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)
            return (Double(area.x) + fx * Double(area.width - 1), Double(area.maxY - 1) - fy * Double(area.height - 1))
        }
    }

    public func layout(width: Int, height: Int) -> Layout {
        let s = max(1, min(width, height) / 240)
        let finiteX = series.flatMap { $0.x }.filter(\.isFinite)
        let finiteY = series.flatMap { $0.y }.filter(\.isFinite)
        func axis(_ fixed: ClosedRange<Double>?, _ values: [Double]) -> (ClosedRange<Double>, [Double], Double) {
            if let fixed, fixed.upperBound > fixed.lowerBound {
                let step = AxisTicks.niceStep((fixed.upperBound - fixed.lowerBound) / 5)
                return (fixed, AxisTicks.ticks(in: fixed, step: step), step)
            }
            let nice = AxisTicks.niceRange(values.min() ?? 0, values.max() ?? 1)
            return (nice.range, nice.ticks, nice.step)
        }
        var (xr, xt, xs) = axis(xRange, finiteX)
        if xs < xMinimumStep {
            xs = AxisTicks.niceStep(xMinimumStep)
            if xRange == nil {
                xr = ((xr.lowerBound / xs).rounded(.down) * xs)...((xr.upperBound / xs).rounded(.up) * xs)
            }
            xt = AxisTicks.ticks(in: xr, step: xs)
        }
        let (dataYRange, yt, ys) = axis(yRange, finiteY)
        var yr = dataYRange
        func padded(_ r: ClosedRange<Double>) -> ClosedRange<Double> {
            let d = max(0, padding) * (r.upperBound - r.lowerBound)
            return (r.lowerBound - d)...(r.upperBound + d)
        }
        if xRange == nil { xr = padded(xr) }
        if yRange == nil { yr = padded(yr) }
        let pad = 6 * s
        let line = BitmapFont.lineHeight * s
        let tickLength = 4 * s
        let yLabelWidth = yt.map { BitmapFont.size(of: AxisTicks.label($0, step: ys), scale: s).width }.max() ?? 0
        let left = pad + (yLabel.isEmpty ? 0 : line + pad) + yLabelWidth + pad + tickLength
        let top = pad + (title.isEmpty ? 0 : line + pad)
        let bottom = tickLength + pad + line + (xLabel.isEmpty ? 0 : pad + line) + pad
        // Room on the right for the last x tick label's overhang.
        let lastXLabel = xt.last.map { BitmapFont.size(of: AxisTicks.label($0, step: xs), scale: s).width } ?? 0
        let right = max(pad, lastXLabel / 2 + pad)
        let area = PixelRect(x: left, y: top, width: max(2, width - left - right), height: max(2, height - top - bottom))
        return Layout(area: area, xRange: xr, yRange: yr, xTicks: xt, yTicks: yt, xStep: xs, yStep: ys, textScale: s)
    }

    /// The chart on a white `width` x `height` raster.
    public func render(width: Int = 640, height: Int = 480) -> Raster {
        var image = Raster(width: width, height: height, color: .white)
        let l = layout(width: width, height: height)
        let s = l.textScale
        let area = l.area
        let tickLength = 4 * s, pad = 6 * s

        // Grid and ticks with labels.
        for x in l.xTicks {
            let px = l.pixel(x: x, y: l.yRange.lowerBound).x
            image.drawLine(x0: px, y0: area.y, x1: px, y1: area.maxY - 1, .lightGray)
            image.drawLine(x0: px, y0: area.maxY, x1: px, y1: area.maxY + tickLength - 1, .black)
            let text = AxisTicks.label(x, step: l.xStep)
            let w = BitmapFont.size(of: text, scale: s).width
            image.drawText(text, x: px - w / 2, y: area.maxY + tickLength + pad / 2, .black, scale: s)
        }
        for y in l.yTicks {
            let py = l.pixel(x: l.xRange.lowerBound, y: y).y
            image.drawLine(x0: area.x, y0: py, x1: area.maxX - 1, y1: py, .lightGray)
            image.drawLine(x0: area.x - tickLength, y0: py, x1: area.x - 1, y1: py, .black)
            let text = AxisTicks.label(y, step: l.yStep)
            let size = BitmapFont.size(of: text, scale: s)
            image.drawText(text, x: area.x - tickLength - pad / 2 - size.width, y: py - size.height / 2, .black, scale: s)
        }

        // Series, clipped to the area.
        for series in self.series {
            var previous: (x: Double, y: Double)?
            for (x, y) in zip(series.x, series.y) {
                guard x.isFinite, y.isFinite else { previous = nil; continue }
                let p = l.point(x: x, y: y)
                if let q = previous {
                    // Clip in data space first so huge outliers cannot overflow Int.
                    if let (a, b) = Raster.clipSegment(q.x, q.y, p.x, p.y, to: area.insetBy(-2)) {
                        image.drawLine(x0: Int(a.x.rounded()), y0: Int(a.y.rounded()), x1: Int(b.x.rounded()),
                                       y1: Int(b.y.rounded()), series.color, thickness: series.thickness,
                                       dash: series.dash, clip: area)
                    }
                }
                // A lone point is otherwise invisible.
                let c = l.pixel(x: x, y: y)
                if series.markers || series.x.count == 1, area.insetBy(-1).contains(x: c.x, y: c.y) {
                    let m = series.thickness + 2
                    let r = PixelRect(x: c.x - m / 2, y: c.y - m / 2, width: m, height: m)
                    image.fillRect(r.intersection(area), series.color)
                }
                previous = p
            }
        }

        for line in verticalLines where line.x.isFinite && line.x >= l.xRange.lowerBound && line.x <= l.xRange.upperBound {
            let px = l.pixel(x: line.x, y: l.yRange.lowerBound).x
            image.drawLine(x0: px, y0: area.y, x1: px, y1: area.maxY - 1, line.color, thickness: 1,
                           dash: line.dash * s, clip: area)
        }

        // Frame, title, axis labels.
        image.strokeRect(area.insetBy(-1), .black)
        if !title.isEmpty {
            let w = BitmapFont.size(of: title, scale: s).width
            image.drawText(title, x: area.x + (area.width - w) / 2, y: pad, .black, scale: s)
        }
        if !xLabel.isEmpty {
            let w = BitmapFont.size(of: xLabel, scale: s).width
            let y = area.maxY + tickLength + pad / 2 + BitmapFont.lineHeight * s + pad / 2
            image.drawText(xLabel, x: area.x + (area.width - w) / 2, y: y, .black, scale: s)
        }
        if !yLabel.isEmpty {
            let w = BitmapFont.size(of: yLabel, scale: s).width
            image.drawText(yLabel, x: pad, y: area.y + (area.height - w) / 2, .black, scale: s, vertical: true)
        }
        drawLegend(on: &image, area: area, scale: s)
        return image
    }

    private func drawLegend(on image: inout Raster, area: PixelRect, scale s: Int) {
        let named = series.filter { !$0.name.isEmpty }.map { (name: $0.name, color: $0.color, thickness: $0.thickness, dash: $0.dash) }
            + verticalLines.filter { !$0.name.isEmpty }.map { (name: $0.name, color: $0.color, thickness: 1, dash: $0.dash) }
        guard legend != .none, !named.isEmpty else { return }
        let pad = 4 * s, swatch = 16 * s, line = BitmapFont.lineHeight * s
        let textWidth = named.map { BitmapFont.size(of: $0.name, scale: s).width }.max() ?? 0
        let w = pad + swatch + pad + textWidth + pad
        let h = pad + named.count * line + pad
        let margin = 6 * s
        let x = (legend == .topLeft || legend == .bottomLeft) ? area.x + margin : area.maxX - margin - w
        let y = (legend == .topLeft || legend == .topRight) ? area.y + margin : area.maxY - margin - h
        let box = PixelRect(x: x, y: y, width: w, height: h).intersection(area)
        image.fillRect(box, .white)
        image.strokeRect(box, .darkGray)
        for (i, series) in named.enumerated() {
            let rowY = y + pad + i * line + (BitmapFont.glyphHeight * s) / 2
            image.drawLine(x0: x + pad, y0: rowY, x1: x + pad + swatch - 1, y1: rowY, series.color,
                           thickness: series.thickness, dash: series.dash > 0 ? 3 * s : 0, clip: box)
            image.drawText(series.name, x: x + pad + swatch + pad, y: y + pad + i * line, .black, scale: s, clip: box)
        }
    }
}
