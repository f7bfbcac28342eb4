/// What `predict`, the report and the benchmark's users choose: the method, the class explained
/// and how maps are scaled for colouring.
public struct ExplanationSettings: Sendable, Equatable {
    public var method: CAMMethod
    public var target: ExplanationTarget
    public var scale: HeatmapScale

    /// The default method, chosen by `cifake bench explain` (see README, "Explanations").
    public static let defaultMethod = CAMMethod.hiResCAM

    public init(method: CAMMethod = defaultMethod, target: ExplanationTarget = .predicted, scale: HeatmapScale = .perImage) {
        self.method = method
        self.target = target
        self.scale = scale
    }

    /// Settings from their names as written in a configuration or on a command line; each bad
    /// name is one problem naming `keys`' entry and the accepted values.
    public static func parse(method: String, target: String, scale: String,
                             keys: (method: String, target: String, scale: String) = ("explain_method", "explain_target", "explain_scale"))
        -> (settings: ExplanationSettings, problems: [String]) {
        var problems: [String] = []
        let m = CAMMethod(name: method), t = ExplanationTarget(rawValue: target), s = HeatmapScale(rawValue: scale)
        if m == nil { problems.append("\(keys.method): found '\(method)', expected one of \(CAMMethod.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))") }
        if t == nil { problems.append("\(keys.target): found '\(target)', expected one of \(ExplanationTarget.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))") }
        if s == nil { problems.append("\(keys.scale): found '\(scale)', expected one of \(HeatmapScale.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))") }
        return (ExplanationSettings(method: m ?? defaultMethod, target: t ?? .predicted, scale: s ?? .perImage), problems)
    }
}
