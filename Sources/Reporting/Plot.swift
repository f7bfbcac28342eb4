import Foundation
import Imaging

/// A chart on two numeric axes, drawn as SVG: lines (with optional markers), bars, vertical
/// guides, a legend and notes. Axes get "nice" ticks (1, 2 or 5 x 10^k) with light grid lines;
/// every label is a `<text>` element. Pure: `svg()` is a function of the value.
public struct Plot: Sendable {
    public struct Line: Sendable {
        /// The legend's name; nil keeps the line out of the legend (e.g. the raw line under a
        /// smoothed one).
        public var name: String?
        public var x: [Double]
        /// A non-finite value breaks the line.
        public var y: [Double]
        public var color: String
        public var width: Double
        public var opacity: Double
        public var dash: String?
        public var markers: Bool

        public init(name: String?, x: [Double], y: [Double], color: String, width: Double = 2, opacity: Double = 1,
                    dash: String? = nil, markers: Bool = false) {
            precondition(x.count == y.count, "Plot.Line '\(name ?? "")': \(x.count) x values, \(y.count) y values")
            self.name = name; self.x = x; self.y = y; self.color = color; self.width = width
            self.opacity = opacity; self.dash = dash; self.markers = markers
        }
    }

    /// A bar from `x0` to `x1`, from 0 up to `y`.
    public struct Bar: Sendable {
        public var x0: Double
        public var x1: Double
        public var y: Double
        /// Shown on hover.
        public var tooltip: String?
        public init(x0: Double, x1: Double, y: Double, tooltip: String? = nil) {
            self.x0 = x0; self.x1 = x1; self.y = y; self.tooltip = tooltip
        }
    }

    public struct BarSeries: Sendable {
        public var name: String?
        public var color: String
        public var opacity: Double
        public var bars: [Bar]
        public init(name: String?, color: String, opacity: Double = 0.85, bars: [Bar]) {
            self.name = name; self.color = color; self.opacity = opacity; self.bars = bars
        }
    }

    /// A dashed vertical line across the plot, labelled at its top.
    public struct Guide: Sendable {
        public var x: Double
        public var label: String
        public init(x: Double, label: String) { self.x = x; self.label = label }
    }

    public enum Corner: Sendable { case topLeft, topRight, bottomLeft, bottomRight }

    /// The element id (unique in the page).
    public var id: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var lines: [Line] = []
    public var bars: [BarSeries] = []
    public var guides: [Guide] = []
    /// Fixed axis ranges; nil: from the data, widened to nice steps.
    public var xDomain: ClosedRange<Double>?
    public var yDomain: ClosedRange<Double>?
    /// Categories on the x axis instead of numbers: category i is centred at i + 0.5, the
    /// domain is 0...count.
    public var xCategories: [String]?
    /// The x ticks' step is at least this (1 for epochs).
    public var xMinimumStep: Double = 0
    public var legend: Corner = .topRight
    /// Lines of text in the plot's top-left corner (e.g. "AP = 0.981").
    public var notes: [String] = []
    public var notesCorner: Corner = .topLeft
    public var width: Double = 540
    public var height: Double = 360

    public init(id: String, title: String, xLabel: String, yLabel: String) {
        self.id = id; self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
    }

    /// The axes' ranges and ticks as drawn.
    public func axes() -> (x: ClosedRange<Double>, xTicks: [Double], xStep: Double, y: ClosedRange<Double>, yTicks: [Double], yStep: Double) {
        let xs = lines.flatMap(\.x) + bars.flatMap { $0.bars.flatMap { [$0.x0, $0.x1] } } + guides.map(\.x)
        let ys = lines.flatMap(\.y) + bars.flatMap { $0.bars.map(\.y) } + (bars.isEmpty ? [] : [0])
        func axis(_ values: [Double], fixed: ClosedRange<Double>?, minimumStep: Double) -> (ClosedRange<Double>, [Double], Double) {
            if let fixed {
                let step = max(minimumStep, AxisTicks.niceStep((fixed.upperBound - fixed.lowerBound) / 5, rounded: true))
                return (fixed, AxisTicks.ticks(in: fixed, step: step), step)
            }
            let finite = values.filter(\.isFinite)
            let nice = AxisTicks.niceRange(finite.min() ?? 0, finite.max() ?? 1)
            guard nice.step < minimumStep else { return nice }
            let step = (nice.step / minimumStep).rounded(.up) * minimumStep
            let lo = ((finite.min() ?? 0) / step).rounded(.down) * step
            let hi = max(lo + step, ((finite.max() ?? 1) / step).rounded(.up) * step)
            return (lo...hi, AxisTicks.ticks(in: lo...hi, step: step), step)
        }
        let (xr, xt, xs1): (ClosedRange<Double>, [Double], Double)
        if let xCategories {
            (xr, xt, xs1) = (0...Double(max(1, xCategories.count)), [], 1)
        } else {
            (xr, xt, xs1) = axis(xs, fixed: xDomain, minimumStep: xMinimumStep)
        }
        let (yr, yt, ys1) = axis(ys, fixed: yDomain, minimumStep: 0)
        return (xr, xt, xs1, yr, yt, ys1)
    }

    public func svg() -> String {
        let a = axes()
        let left = 66.0, right = 18.0, top = 34.0
        let bottom = xCategories == nil ? 50.0 : 78.0
        let plotW = width - left - right, plotH = height - top - bottom
        let xSpan = a.x.upperBound - a.x.lowerBound, ySpan = a.y.upperBound - a.y.lowerBound
        func px(_ x: Double) -> Double { left + (x - a.x.lowerBound) / (xSpan == 0 ? 1 : xSpan) * plotW }
        func py(_ y: Double) -> Double { top + plotH - (y - a.y.lowerBound) / (ySpan == 0 ? 1 : ySpan) * plotH }
        func inside(_ y: Double) -> Double { min(max(y, a.y.lowerBound), a.y.upperBound) }

        var s = SVG.rect(x: 0, y: 0, width: width, height: height, fill: "#ffffff")
        s += SVG.text(title, x: left, y: 20, size: 15, weight: "bold")
        // Grid and ticks.
        for t in a.yTicks {
            s += SVG.line(left, py(t), left + plotW, py(t), stroke: "#e3e3e3")
            s += SVG.text(AxisTicks.label(t, step: a.yStep), x: left - 6, y: py(t) + 4, anchor: .end, size: 12, color: "#333")
        }
        if let xCategories {
            for (i, name) in xCategories.enumerated() {
                let x = px(Double(i) + 0.5)
                s += SVG.text(name, x: x, y: top + plotH + 14, anchor: .end, size: 12, color: "#333", rotate: -35)
            }
        } else {
            for t in a.xTicks {
                s += SVG.line(px(t), top, px(t), top + plotH, stroke: "#e3e3e3")
                s += SVG.text(AxisTicks.label(t, step: a.xStep), x: px(t), y: top + plotH + 17, anchor: .middle, size: 12, color: "#333")
            }
        }
        s += SVG.text(xLabel, x: left + plotW / 2, y: height - 8, anchor: .middle, size: 13)
        s += SVG.text(yLabel, x: 16, y: top + plotH / 2, anchor: .middle, size: 13, rotate: -90)

        // Data: bars, then lines, then guides.
        var marks = ""
        for series in bars {
            for b in series.bars where b.y.isFinite {
                let y0 = py(inside(0)), y1 = py(inside(b.y))
                marks += SVG.rect(x: px(b.x0), y: min(y0, y1), width: px(b.x1) - px(b.x0), height: abs(y0 - y1), fill: series.color,
                                  opacity: series.opacity, tooltip: b.tooltip)
            }
        }
        for line in lines {
            let d = SVG.path(zip(line.x, line.y).map { (px($0.0), py($0.1)) })
            if !d.isEmpty {
                marks += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"\(SVG.n(line.width))\" stroke-linejoin=\"round\""
                    + (line.opacity < 1 ? " stroke-opacity=\"\(SVG.n(line.opacity))\"" : "")
                    + (line.dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>\n"
            }
            if line.markers {
                for (x, y) in zip(line.x, line.y) where x.isFinite && y.isFinite {
                    marks += "<circle cx=\"\(SVG.n(px(x)))\" cy=\"\(SVG.n(py(y)))\" r=\"3.5\" fill=\"\(line.color)\" stroke=\"#fff\" stroke-width=\"1\"/>\n"
                }
            }
        }
        for g in guides where g.x.isFinite {
            // The label above the frame, so it never hides data or the legend.
            let x = px(g.x), rightHalf = x > left + plotW / 2
            marks += SVG.line(x, top, x, top + plotH, stroke: "#555", width: 1.2, dash: "5 4")
            marks += SVG.text(g.label, x: rightHalf ? x : x + 2, y: top - 4, anchor: rightHalf ? .end : .start, size: 11, color: "#444")
        }
        s += "<g class=\"marks\">\n\(marks)</g>\n"
        s += SVG.rect(x: left, y: top, width: plotW, height: plotH, fill: "none", stroke: "#777")

        // Legend and notes in their corners.
        let entries: [(name: String, color: String, dash: String?, bar: Bool, opacity: Double)] =
            lines.compactMap { l in l.name.map { ($0, l.color, l.dash, false, l.opacity) } }
            + bars.compactMap { b in b.name.map { ($0, b.color, nil, true, b.opacity) } }
        if !entries.isEmpty {
            let boxW = Double(entries.map(\.name.count).max() ?? 0) * 7.2 + 40, boxH = Double(entries.count) * 18 + 8
            let (bx, by) = corner(legend, boxW, boxH, left: left, top: top, plotW: plotW, plotH: plotH)
            s += "<g class=\"legend\">\n" + SVG.rect(x: bx, y: by, width: boxW, height: boxH, fill: "#ffffff", stroke: "#bbb", opacity: 0.9)
            for (i, e) in entries.enumerated() {
                let y = by + 14 + Double(i) * 18
                s += e.bar ? SVG.rect(x: bx + 8, y: y - 8, width: 18, height: 10, fill: e.color, opacity: e.opacity)
                           : SVG.line(bx + 6, y - 4, bx + 28, y - 4, stroke: e.color, width: e.opacity < 1 ? 1.5 : 2.5, dash: e.dash,
                                      opacity: max(e.opacity, 0.35))
                s += SVG.text(e.name, x: bx + 34, y: y, size: 12)
            }
            s += "</g>\n"
        }
        if !notes.isEmpty {
            let boxW = Double(notes.map(\.count).max() ?? 0) * 7.4 + 16, boxH = Double(notes.count) * 18 + 8
            let (bx, by) = corner(notesCorner, boxW, boxH, left: left, top: top, plotW: plotW, plotH: plotH)
            s += "<g class=\"notes\">\n" + SVG.rect(x: bx, y: by, width: boxW, height: boxH, fill: "#ffffff", stroke: "#bbb", opacity: 0.9)
            for (i, note) in notes.enumerated() { s += SVG.text(note, x: bx + 8, y: by + 18 + Double(i) * 18, size: 13, weight: "bold") }
            s += "</g>\n"
        }
        return SVG.document(id: id, width: width, height: height, title: title, content: s)
    }

    private func corner(_ c: Corner, _ w: Double, _ h: Double, left: Double, top: Double, plotW: Double, plotH: Double) -> (Double, Double) {
        switch c {
        case .topLeft: (left + 8, top + 8)
        case .topRight: (left + plotW - w - 8, top + 8)
        case .bottomLeft: (left + 8, top + plotH - h - 8)
        case .bottomRight: (left + plotW - w - 8, top + plotH - h - 8)
        }
    }
}
