/// Which class a map explains. The detector has one logit (FAKE when positive), so the FAKE
/// evidence is the gradient of the logit and the REAL evidence the gradient of its negative.
public enum ExplanationTarget: String, Sendable, CaseIterable, Codable {
    /// The class the model predicts for each image (logit >= 0: FAKE).
    case predicted
    case fake
    case real

    /// Whether image with `logit` is explained as FAKE.
    public func explainsFake(logit: Float) -> Bool {
        switch self {
        case .predicted: logit >= 0
        case .fake: true
        case .real: false
        }
    }
}
