import Foundation

/// Binary classification metrics of the CIFAKE detector on one evaluation set.
///
/// Classes: REAL = label 0, FAKE = label 1 (the positive class). A sample is predicted FAKE when
/// `P(FAKE) >= threshold`. Rates are fractions in [0, 1] (not percent).
///
/// Zero division: a class that is never predicted has precision 0, a class with no samples has
/// recall 0, and F1 is 0 when precision + recall is 0 (as sklearn's `zero_division=0`), so the
/// report never holds NaN and always encodes to JSON.
///
/// JSON (snake_case): `accuracy`, `precision`, `recall`, `f1` (macro means over REAL and FAKE),
/// `per_class` {`REAL`, `FAKE`: {precision, recall, f1, support}}, `confusion_matrix`
/// {labels, matrix = [[TN, FP], [FN, TP]], rows = true class, columns = predicted},
/// `roc_auc` (null with one class), `roc_curve` {fpr, tpr, thresholds}, `log_loss`, `samples`,
/// `threshold`.
public struct ClassificationReport: Codable, Sendable, Equatable {
    /// Precision, recall and F1 of one class taken as the positive one.
    public struct ClassMetrics: Codable, Sendable, Equatable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
        /// Number of samples whose true label is this class.
        public var support: Int

        public init(precision: Double, recall: Double, f1: Double, support: Int) {
            self.precision = precision
            self.recall = recall
            self.f1 = f1
            self.support = support
        }

        /// Metrics of a class from its true positives, false positives and false negatives.
        init(truePositives tp: Int, falsePositives fp: Int, falseNegatives fn: Int) {
            let precision = tp + fp > 0 ? Double(tp) / Double(tp + fp) : 0
            let recall = tp + fn > 0 ? Double(tp) / Double(tp + fn) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            self.init(precision: precision, recall: recall, f1: f1, support: tp + fn)
        }
    }

    /// Metrics of each class, keyed `REAL` and `FAKE` in JSON.
    public struct PerClass: Codable, Sendable, Equatable {
        public var real: ClassMetrics
        public var fake: ClassMetrics

        public init(real: ClassMetrics, fake: ClassMetrics) {
            self.real = real
            self.fake = fake
        }

        enum CodingKeys: String, CodingKey {
            case real = "REAL"
            case fake = "FAKE"
        }
    }

    /// Counts of (true class, predicted class): rows = true, columns = predicted,
    /// in the order of `labels` (`["REAL", "FAKE"]`), i.e. `[[TN, FP], [FN, TP]]`.
    public struct ConfusionMatrix: Codable, Sendable, Equatable {
        public var labels: [String]
        public var matrix: [[Int]]

        public init(trueNegatives tn: Int, falsePositives fp: Int, falseNegatives fn: Int, truePositives tp: Int) {
            labels = ["REAL", "FAKE"]
            matrix = [[tn, fp], [fn, tp]]
        }

        /// REAL predicted REAL.
        public var trueNegatives: Int { matrix[0][0] }
        /// REAL predicted FAKE.
        public var falsePositives: Int { matrix[0][1] }
        /// FAKE predicted REAL.
        public var falseNegatives: Int { matrix[1][0] }
        /// FAKE predicted FAKE.
        public var truePositives: Int { matrix[1][1] }
    }

    /// The ROC curve, thinned (see `ROC.thinnedIndices`), in order of decreasing threshold,
    /// from (0, 0) to (1, 1).
    public struct ROCCurve: Codable, Sendable, Equatable {
        public var fpr: [Double]
        public var tpr: [Double]
        public var thresholds: [Double]

        public init(fpr: [Double], tpr: [Double], thresholds: [Double]) {
            self.fpr = fpr
            self.tpr = tpr
            self.thresholds = thresholds
        }
    }

    /// Fraction of samples whose predicted class is their true class.
    public var accuracy: Double
    /// Macro mean of the two classes' precision.
    public var precision: Double
    /// Macro mean of the two classes' recall.
    public var recall: Double
    /// Macro mean of the two classes' F1.
    public var f1: Double
    public var perClass: PerClass
    public var confusionMatrix: ConfusionMatrix
    /// Exact area under the ROC curve (ties count one half); nil when only one class is present.
    public var rocAUC: Double?
    public var rocCurve: ROCCurve
    /// Mean binary cross-entropy in nats, probabilities clipped to [1e-7, 1 - 1e-7] (Keras' epsilon).
    public var logLoss: Double
    /// Number of samples scored.
    public var samples: Int
    /// The decision threshold on P(FAKE).
    public var threshold: Float

    enum CodingKeys: String, CodingKey {
        case accuracy, precision, recall, f1
        case perClass = "per_class"
        case confusionMatrix = "confusion_matrix"
        case rocAUC = "roc_auc"
        case rocCurve = "roc_curve"
        case logLoss = "log_loss"
        case samples, threshold
    }

    /// Largest number of ROC points kept in `rocCurve`.
    public static let maxROCPoints = 256
    /// Probabilities are clipped to [epsilon, 1 - epsilon] for the log loss (Keras' default).
    public static let logLossEpsilon = 1e-7

    /// Scores predictions against labels.
    ///
    /// - Parameters:
    ///   - probabilities: P(FAKE) per sample, [n].
    ///   - labels: true class per sample, [n], 0 = REAL, 1 = FAKE.
    ///   - threshold: predict FAKE when P(FAKE) >= threshold.
    /// - Throws: `EvaluationError` when the lengths differ, n is 0, a label is not 0/1 or a
    ///   probability or the threshold is not finite.
    public init(probabilities: [Float], labels: [UInt8], threshold: Float = 0.5) throws(EvaluationError) {
        guard probabilities.count == labels.count else {
            throw .countMismatch(probabilities: probabilities.count, labels: labels.count)
        }
        guard !labels.isEmpty else { throw .empty }
        guard threshold.isFinite else { throw .nonFiniteThreshold(threshold) }
        var tn = 0, fp = 0, fn = 0, tp = 0
        var lossSum = 0.0
        let eps = Self.logLossEpsilon
        for i in labels.indices {
            let p = probabilities[i], label = labels[i]
            guard label <= 1 else { throw .invalidLabel(index: i, found: label) }
            guard p.isFinite else { throw .nonFiniteProbability(index: i, found: p) }
            let predictedFake = p >= threshold
            switch (label == 1, predictedFake) {
            case (false, false): tn += 1
            case (false, true): fp += 1
            case (true, false): fn += 1
            case (true, true): tp += 1
            }
            let q = min(max(Double(p), eps), 1 - eps)
            lossSum -= label == 1 ? log(q) : log(1 - q)
        }
        let n = labels.count
        let real = ClassMetrics(truePositives: tn, falsePositives: fn, falseNegatives: fp)
        let fake = ClassMetrics(truePositives: tp, falsePositives: fp, falseNegatives: fn)

        accuracy = Double(tp + tn) / Double(n)
        precision = (real.precision + fake.precision) / 2
        recall = (real.recall + fake.recall) / 2
        f1 = (real.f1 + fake.f1) / 2
        perClass = PerClass(real: real, fake: fake)
        confusionMatrix = ConfusionMatrix(trueNegatives: tn, falsePositives: fp, falseNegatives: fn, truePositives: tp)
        rocAUC = ROC.auc(scores: probabilities, labels: labels)
        let full = ROC.curve(scores: probabilities, labels: labels)
        let keep = ROC.thinnedIndices(fpr: full.fpr, tpr: full.tpr, maxPoints: Self.maxROCPoints)
        rocCurve = ROCCurve(fpr: keep.map { full.fpr[$0] }, tpr: keep.map { full.tpr[$0] },
                            thresholds: keep.map { full.thresholds[$0] })
        logLoss = lossSum / Double(n)
        samples = n
        self.threshold = threshold
    }

    /// Writes every key, `roc_auc` included as null when there is no AUC (the synthesized
    /// encoder would leave the key out).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(accuracy, forKey: .accuracy)
        try c.encode(precision, forKey: .precision)
        try c.encode(recall, forKey: .recall)
        try c.encode(f1, forKey: .f1)
        try c.encode(perClass, forKey: .perClass)
        try c.encode(confusionMatrix, forKey: .confusionMatrix)
        if let rocAUC { try c.encode(rocAUC, forKey: .rocAUC) } else { try c.encodeNil(forKey: .rocAUC) }
        try c.encode(rocCurve, forKey: .rocCurve)
        try c.encode(logLoss, forKey: .logLoss)
        try c.encode(samples, forKey: .samples)
        try c.encode(threshold, forKey: .threshold)
    }
}
