/// How well one map points at a known region (pure). An empty map (no positive value) scores what
/// a uniform map scores, the region's area share: it says nothing, neither right nor wrong.
public enum LocalisationScore {
    /// Energy in the box: the share of the map's mass inside `box` (Wang et al. 2020's
    /// "energy-based pointing game"). `map` is `width x height`, row-major, non-negative.
    public static func energy(_ map: [Float], width: Int, height: Int, box: ImageBox) -> Double {
        precondition(map.count == width * height, "LocalisationScore.energy: expected \(width * height) values, found \(map.count)")
        var inside = 0.0, total = 0.0
        for y in 0..<height {
            for x in 0..<width {
                let v = Double(max(map[y * width + x], 0))
                total += v
                if box.contains(row: y, col: x) { inside += v }
            }
        }
        return total > 0 ? inside / total : box.areaShare(width: width, height: height)
    }

    /// Pointing game (Zhang et al. 2016): 1 when the map's maximum lies in `box`; when several
    /// pixels share the maximum, the share of them inside.
    public static func pointing(_ map: [Float], width: Int, height: Int, box: ImageBox) -> Double {
        precondition(map.count == width * height, "LocalisationScore.pointing: expected \(width * height) values, found \(map.count)")
        guard let top = map.max(), top > 0 else { return box.areaShare(width: width, height: height) }
        var hits = 0, ties = 0
        for y in 0..<height {
            for x in 0..<width where map[y * width + x] == top {
                ties += 1
                if box.contains(row: y, col: x) { hits += 1 }
            }
        }
        return Double(hits) / Double(ties)
    }
}
