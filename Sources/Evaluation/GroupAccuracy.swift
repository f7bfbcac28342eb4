/// Accuracy of the test samples of one group (e.g. a CIFAR-10 class) and one true label: where
/// does the detector fail?
public struct GroupAccuracy: Sendable, Equatable {
    public var group: String
    /// 0 = REAL, 1 = FAKE.
    public var label: UInt8
    public var correct: Int
    public var total: Int

    public init(group: String, label: UInt8, correct: Int, total: Int) {
        self.group = group; self.label = label; self.correct = correct; self.total = total
    }

    /// nil for an empty group.
    public var accuracy: Double? { total > 0 ? Double(correct) / Double(total) : nil }

    /// One row per group of `order` and label (REAL then FAKE), empty ones included; samples
    /// whose group is nil or not in `order` are left out.
    ///
    /// - Parameters:
    ///   - groups: each sample's group, [n].
    ///   - probabilities: P(FAKE), [n]; predicted FAKE when >= threshold.
    ///   - labels: [n], 0 = REAL, 1 = FAKE.
    public static func table(groups: [String?], probabilities: [Float], labels: [UInt8], threshold: Float = 0.5,
                             order: [String]) -> [GroupAccuracy] {
        precondition(groups.count == labels.count && probabilities.count == labels.count,
                     "GroupAccuracy: \(groups.count) groups, \(probabilities.count) probabilities, \(labels.count) labels")
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        var rows = order.flatMap { g in [UInt8(0), 1].map { GroupAccuracy(group: g, label: $0, correct: 0, total: 0) } }
        for i in labels.indices {
            guard let g = groups[i], let p = position[g], labels[i] <= 1 else { continue }
            let k = 2 * p + Int(labels[i])
            rows[k].total += 1
            if (probabilities[i] >= threshold) == (labels[i] == 1) { rows[k].correct += 1 }
        }
        return rows
    }
}
