/// Scores of the checkpoint after `step` steps: rank 0's validation at the end of an epoch, or the
/// evaluator's validation and test scores of any consolidated checkpoint. Typed on the wire and in
/// the run folder (`EvaluationRecord`): every
/// score is a finite number in its range, and an AUC that is undefined (a split of one class) is
/// absent, never a made-up 0.5.
public struct EvaluationResult: Sendable, Equatable {
    public struct Scores: Sendable, Equatable {
        /// Mean binary cross-entropy, >= 0.
        public var loss: Double
        /// In 0...1.
        public var accuracy: Double
        /// F1 of the FAKE class, in 0...1.
        public var f1: Double
        /// ROC AUC in 0...1; nil when the split holds one class only.
        public var auc: Double?

        public init(loss: Double, accuracy: Double, f1: Double, auc: Double?) {
            self.loss = loss
            self.accuracy = accuracy
            self.f1 = f1
            self.auc = auc
        }
    }

    public var step: Int
    /// The epoch (1-based) whose end this validation closes; nil for the evaluator's.
    public var epoch: Int?
    public var validation: Scores?
    public var test: Scores?

    public init(step: Int, epoch: Int? = nil, validation: Scores?, test: Scores? = nil) {
        self.step = step
        self.epoch = epoch
        self.validation = validation
        self.test = test
    }
}
