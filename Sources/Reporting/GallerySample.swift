import Randomness

/// Which test images the gallery shows: the same ones for every run over the same test split,
/// so reports of different models can be laid side by side.
public enum GallerySample {
    /// The default number of images per class.
    public static let perClass = 8
    /// The default seed: fixed, not the run's seed, so every run shows the same images.
    public static let seed: UInt64 = 0

    /// Up to `perClass` indices of each class (REAL = 0 first, then FAKE = 1), each class's
    /// members shuffled with `seed` (stream "report-gallery", one per class) and the first
    /// `perClass` kept, then sorted. Depends only on `labels`, `perClass` and `seed`.
    public static func indices(labels: [UInt8], perClass: Int = perClass, seed: UInt64 = seed) -> [Int] {
        var chosen: [Int] = []
        for label in [UInt8(0), 1] {
            let members = labels.indices.filter { labels[$0] == label }
            var rng = SplitMix64(seed: seed, stream: "report-gallery", UInt64(label))
            let order = shuffledIndices(count: members.count, using: &rng)
            chosen += order.prefix(max(0, perClass)).map { members[$0] }.sorted()
        }
        return chosen
    }
}
