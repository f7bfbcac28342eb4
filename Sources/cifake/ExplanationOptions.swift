import ArgumentParser
import Explanation

/// `--explain`, `--target` and `--explain-scale`, shared by `predict` and `report`.
struct ExplanationOptions: ParsableArguments {
    @Option(name: .customLong("explain"), help: ArgumentHelp("Explanation method: gradcam (the paper's Grad-CAM), gradcam++, hirescam or layercam (default: \(ExplanationSettings.defaultMethod.rawValue), chosen by `cifake bench explain`).", valueName: "METHOD"))
    var method: String?

    @Option(help: ArgumentHelp("The class each map explains: predicted, fake or real (the evidence for REAL is the gradient of the negated logit).", valueName: "CLASS"))
    var target: String?

    @Option(name: .customLong("explain-scale"), help: ArgumentHelp("per-image (each map to its own maximum) or fixed (one colour scale for all maps shown together, so they compare).", valueName: "SCALE"))
    var scale: String?

    var isEmpty: Bool { method == nil && target == nil && scale == nil }

    /// The settings, each unset option taken from `base`.
    func settings(over base: ExplanationSettings = ExplanationSettings()) throws -> ExplanationSettings {
        let (settings, problems) = ExplanationSettings.parse(method: method ?? base.method.rawValue, target: target ?? base.target.rawValue,
                                                             scale: scale ?? base.scale.rawValue,
                                                             keys: ("--explain", "--target", "--explain-scale"))
        guard problems.isEmpty else { throw CLIError.message(problems.joined(separator: "; "), code: 2) }
        return settings
    }
}
