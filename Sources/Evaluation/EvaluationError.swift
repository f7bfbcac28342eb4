/// Why a set of predictions cannot be scored. Each case names the offending field and index and
/// says what was expected and what was found.
public enum EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `probabilities` and `labels` differ in length.
    case countMismatch(probabilities: Int, labels: Int)
    /// No samples at all: every metric would be 0/0.
    case empty
    /// `labels[index]` is neither 0 (REAL) nor 1 (FAKE).
    case invalidLabel(index: Int, found: UInt8)
    /// `probabilities[index]` is NaN or infinite (a diverged model, typically).
    case nonFiniteProbability(index: Int, found: Float)
    /// The decision threshold is NaN or infinite.
    case nonFiniteThreshold(Float)

    public var description: String {
        switch self {
        case let .countMismatch(p, l):
            return "evaluation: expected as many labels as probabilities, found \(p) probabilities and \(l) labels"
        case .empty:
            return "evaluation: expected at least one sample, found none"
        case let .invalidLabel(i, found):
            return "evaluation: labels[\(i)]: expected 0 (REAL) or 1 (FAKE), found \(found)"
        case let .nonFiniteProbability(i, found):
            return "evaluation: probabilities[\(i)]: expected a finite P(FAKE), found \(found)"
        case let .nonFiniteThreshold(t):
            return "evaluation: threshold: expected a finite value, found \(t)"
        }
    }
}
