/// One 8-bit sRGB colour.
public struct RGB: Sendable, Hashable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// From fractions in [0, 1] (clamped; NaN counts as 0), rounded to the nearest level.
    public init(fractions r: Float, _ g: Float, _ b: Float) {
        func level(_ v: Float) -> UInt8 {
            guard v > 0 else { return 0 }  // also NaN
            return v >= 1 ? 255 : UInt8((v * 255).rounded())
        }
        self.init(level(r), level(g), level(b))
    }

    /// `self` mixed with `other`: `t` = 0 gives `self`, 1 gives `other`.
    public func mixed(with other: RGB, _ t: Float) -> RGB {
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8((Float(a) + (Float(b) - Float(a)) * t).rounded().clamped(0, 255))
        }
        return RGB(mix(r, other.r), mix(g, other.g), mix(b, other.b))
    }

    public static let black = RGB(0, 0, 0)
    public static let white = RGB(255, 255, 255)
    public static let lightGray = RGB(225, 225, 225)
    public static let gray = RGB(128, 128, 128)
    public static let darkGray = RGB(64, 64, 64)
    public static let red = RGB(214, 39, 40)
    public static let blue = RGB(31, 119, 180)
    public static let orange = RGB(255, 127, 14)
    public static let green = RGB(44, 160, 44)
    public static let purple = RGB(148, 103, 189)
    public static let brown = RGB(140, 86, 75)

    /// Line colours for plot series (matplotlib's "tab10" order).
    public static let palette: [RGB] = [.blue, .orange, .green, .red, .purple, .brown]
}

extension Float {
    func clamped(_ lo: Float, _ hi: Float) -> Float { Swift.min(Swift.max(self, lo), hi) }
}
