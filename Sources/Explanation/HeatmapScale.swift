/// How maps are brought to [0, 1] for colouring.
public enum HeatmapScale: String, Sendable, CaseIterable, Codable {
    /// Each map divided by its own largest value: the shape of every map is visible, but two maps'
    /// colours cannot be compared (the colour bar says what red is worth in each).
    case perImage = "per-image"
    /// Every map divided by the largest value of all maps shown together: the same colour is the
    /// same value in every map.
    case fixed

    /// The value that maps to the top of the colour scale for each of `maps` (0 when a map, or
    /// all of them, are zero).
    public func tops(of maps: [[Float]]) -> [Float] {
        let peaks = maps.map { $0.reduce(Float(0)) { $1.isFinite ? max($0, $1) : $0 } }
        switch self {
        case .perImage: return peaks
        case .fixed:
            let top = peaks.max() ?? 0
            return peaks.map { _ in top }
        }
    }

    /// `map` divided by `top`, clamped to [0, 1] (non-finite and negative values to 0; all zeros
    /// when `top` is not positive).
    public static func normalise(_ map: [Float], top: Float) -> [Float] {
        guard top > 0, top.isFinite else { return [Float](repeating: 0, count: map.count) }
        return map.map { $0.isFinite ? min(max($0 / top, 0), 1) : 0 }
    }
}
