/// The test samples the model got wrong most confidently: REAL images it called FAKE with the
/// highest P(FAKE), and FAKE images it called REAL with the lowest. What a detector's user asks
/// first: where, and how badly, does it fail?
public enum ConfidentMistakes {
    /// Up to `perKind` indices of each kind, most confident first: false positives (REAL called
    /// FAKE, by decreasing P(FAKE)), then false negatives (FAKE called REAL, by increasing
    /// P(FAKE)). Ties keep the lower index first.
    public static func indices(probabilities: [Float], labels: [UInt8], threshold: Float = 0.5, perKind: Int) -> (realCalledFake: [Int], fakeCalledReal: [Int]) {
        precondition(probabilities.count == labels.count, "ConfidentMistakes: \(probabilities.count) probabilities, \(labels.count) labels")
        let k = max(0, perKind)
        let fp = labels.indices.filter { labels[$0] == 0 && probabilities[$0] >= threshold }
            .sorted { probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1) }
        let fn = labels.indices.filter { labels[$0] == 1 && probabilities[$0] < threshold }
            .sorted { probabilities[$0] < probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1) }
        return (Array(fp.prefix(k)), Array(fn.prefix(k)))
    }
}
