/// Maps a value in [0, 1] to a colour. Values outside are clamped; NaN maps like 0.
public enum Colormap: String, Sendable, CaseIterable {
    /// MATLAB's / OpenCV's jet (dark blue, blue, cyan, yellow, red, dark red): the usual
    /// Grad-CAM look. Piecewise linear: each channel is clamp(1.5 - |4x - c|) with
    /// c = 3 (red), 2 (green), 1 (blue).
    case jet
    /// Google's Turbo (A. Mikhailov, 2019): a rainbow map with smoother lightness than jet,
    /// via the polynomial approximation published with it (Apache 2.0, "turbo_colormap.glsl"),
    /// which follows the reference lookup table closely (not exactly).
    case turbo
    /// matplotlib's viridis (perceptually uniform, lightness increasing), via a published
    /// degree-6 polynomial fit (M. Zucker, Shadertoy "WlfXRN", CC0).
    case viridis
    /// Black to white.
    case gray

    /// The colour of `value`.
    public func color(_ value: Float) -> RGB {
        let x = value > 0 ? min(value, 1) : 0  // NaN -> 0
        switch self {
        case .jet:
            func channel(_ c: Float) -> Float { (1.5 - abs(4 * x - c)).clamped(0, 1) }
            return RGB(fractions: channel(3), channel(2), channel(1))
        case .turbo:
            let x2 = x * x, x3 = x2 * x, x4 = x2 * x2, x5 = x4 * x
            let r = 0.13572138 + 4.61539260 * x - 42.66032258 * x2 + 132.13108234 * x3 - 152.94239396 * x4 + 59.28637943 * x5
            let g = 0.09140261 + 2.19418839 * x + 4.84296658 * x2 - 14.18503333 * x3 + 4.27729857 * x4 + 2.82956604 * x5
            let b = 0.10667330 + 12.64194608 * x - 60.58204836 * x2 + 110.36276771 * x3 - 89.90310912 * x4 + 27.34824973 * x5
            return RGB(fractions: r, g, b)
        case .viridis:
            func poly(_ c: [Float]) -> Float { c.reversed().reduce(Float(0)) { $0 * x + $1 } }
            return RGB(fractions: poly(Self.viridisR), poly(Self.viridisG), poly(Self.viridisB))
        case .gray:
            return RGB(fractions: x, x, x)
        }
    }

    /// 256 colours for the levels i / 255, for mapping many values quickly.
    public func lookupTable() -> [RGB] {
        (0..<256).map { color(Float($0) / 255) }
    }

    // Coefficients c0...c6 of each channel, constant term first.
    static let viridisR: [Float] = [0.2777273272234177, 0.1050930431085774, -0.3308618287255563, -4.634230498983486,
                                    6.228269936347081, 4.776384997670288, -5.435455855934631]
    static let viridisG: [Float] = [0.005407344544966578, 1.404613529898575, 0.214847559468213, -5.799100973351585,
                                    14.17993336680509, -13.74514537774601, 4.645852612178535]
    static let viridisB: [Float] = [0.3340998053353061, 1.384590162594685, 0.09509516302823659, -19.33244095627987,
                                    56.69055260068105, -65.35303263337234, 26.3124352495832]
}
