import Foundation

/// Small pieces of SVG markup for figures inlined in an HTML page: real `<text>` elements (the
/// page's font, readable at any zoom), numbers with at most two decimals, every string escaped.
/// The markup is well-formed XML on its own (each element closed, attributes quoted), so a test
/// can parse it; it carries no `xmlns` because the HTML parser puts `<svg>` in the SVG namespace.
public enum SVG {
    /// A coordinate or length: two decimals at most, no trailing zeros, no "-0".
    public static func n(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        var s = String(format: "%.2f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    /// `<svg>` with a viewBox of `width` x `height` that scales to its container, a `<title>`
    /// (the accessible name) and `content`.
    public static func document(id: String, width: Double, height: Double, title: String, content: String) -> String {
        "<svg id=\"\(HTML.escape(id))\" class=\"chart\" viewBox=\"0 0 \(n(width)) \(n(height))\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "role=\"img\" font-size=\"13\">\n<title>\(HTML.escape(title))</title>\n\(content)</svg>\n"
    }

    public enum Anchor: String, Sendable { case start, middle, end }

    public static func text(_ content: String, x: Double, y: Double, anchor: Anchor = .start, size: Double? = nil, weight: String? = nil,
                            color: String? = nil, rotate: Double? = nil, baseline: String? = nil, className: String? = nil) -> String {
        var a = "x=\"\(n(x))\" y=\"\(n(y))\""
        if anchor != .start { a += " text-anchor=\"\(anchor.rawValue)\"" }
        if let size { a += " font-size=\"\(n(size))\"" }
        if let weight { a += " font-weight=\"\(weight)\"" }
        if let color { a += " fill=\"\(color)\"" }
        if let baseline { a += " dominant-baseline=\"\(baseline)\"" }
        if let rotate { a += " transform=\"rotate(\(n(rotate)) \(n(x)) \(n(y)))\"" }
        if let className { a += " class=\"\(className)\"" }
        return "<text \(a)>\(HTML.escape(content))</text>\n"
    }

    public static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1,
                            dash: String? = nil, opacity: Double = 1) -> String {
        "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\""
            + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + (opacity < 1 ? " stroke-opacity=\"\(n(opacity))\"" : "") + "/>\n"
    }

    public static func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil,
                            opacity: Double = 1, tooltip: String? = nil) -> String {
        let attributes = "x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, width)))\" height=\"\(n(max(0, height)))\" fill=\"\(fill)\""
            + (stroke.map { " stroke=\"\($0)\"" } ?? "") + (opacity < 1 ? " fill-opacity=\"\(n(opacity))\"" : "")
        guard let tooltip else { return "<rect \(attributes)/>\n" }
        return "<rect \(attributes)><title>\(HTML.escape(tooltip))</title></rect>\n"
    }

    /// A path through `points`; a non-finite point breaks the line (the next one starts anew).
    public static func path(_ points: [(x: Double, y: Double)]) -> String {
        var d = "", pen = false
        for p in points {
            guard p.x.isFinite, p.y.isFinite else { pen = false; continue }
            d += (pen ? "L" : (d.isEmpty ? "M" : " M")) + n(p.x) + " " + n(p.y)
            pen = true
        }
        return d
    }

    /// The page's colours for series (matplotlib's tab10), as CSS hex.
    public static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    /// REAL and FAKE throughout the report.
    public static let realColor = "#1f77b4"
    public static let fakeColor = "#d62728"
}
