/// The class-activation-map methods, each a pure function of one image's last-convolution
/// activations `A` and the gradient `G = d(score)/dA` of the explained score (the FAKE logit, or
/// its negative for REAL), both `[pixels, channels]` (HWC), from the same forward and backward.
///
/// Every map is `[pixels]`, non-negative (a ReLU ends each method), in the units of the score
/// (logit units per cell for HiResCAM and LayerCAM; the weighted activations for the others). An
/// all-zero map means: no cell pushed the score up.
public enum CAMMethod: String, Sendable, CaseIterable, Codable {
    /// Selvaraju et al. 2017, the paper's method: channel weights are the spatial mean of `G`,
    /// `map = ReLU(sum_c w_c A_c)`. The mean credits a channel wherever it fires, and for a
    /// sigmoid detector the weighted sum is often negative everywhere (an empty map).
    case gradCAM = "gradcam"
    /// Chattopadhyay et al. 2018: channel weights `w_c = sum_p alpha_pc ReLU(G_pc)` with
    /// `alpha = G^2 / (2 G^2 + sum_q A_qc G^3)` (the paper's closed form with the exponential's
    /// factor left out, as pytorch-grad-cam does; it only scales the map), then as Grad-CAM.
    case gradCAMPlusPlus = "gradcam++"
    /// Draelos & Carin 2020: `map = ReLU(sum_c G_c * A_c)`, the element-wise product kept per cell.
    /// For a head of max-pooling, ReLU dense layers and zero biases the cells sum to the logit
    /// exactly, so the explained class's map is empty only when biases outweigh every cell.
    case hiResCAM = "hirescam"
    /// Jiang et al. 2021: `map = ReLU(sum_c ReLU(G_c) * A_c)`: only cells whose activation
    /// raises the score count, each by its own gradient.
    case layerCAM = "layercam"

    /// The name people write: `Grad-CAM`, `Grad-CAM++`, `HiResCAM`, `LayerCAM`.
    public var displayName: String {
        switch self {
        case .gradCAM: "Grad-CAM"
        case .gradCAMPlusPlus: "Grad-CAM++"
        case .hiResCAM: "HiResCAM"
        case .layerCAM: "LayerCAM"
        }
    }

    /// `gradcam`, `gradcam++` (or `gradcampp`), `hirescam`, `layercam`, in any case.
    public init?(name: String) {
        let key = name.lowercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
        guard let found = Self.allCases.first(where: { $0.rawValue == key || ($0 == .gradCAMPlusPlus && key == "gradcampp") }) else { return nil }
        self = found
    }

    /// The map of one image: `activations` and `gradients` hold `pixels * channels` values each.
    public func map(activations a: UnsafeBufferPointer<Float>, gradients g: UnsafeBufferPointer<Float>,
                    pixels: Int, channels: Int) -> [Float] {
        precondition(a.count >= pixels * channels && g.count >= pixels * channels,
                     "CAMMethod.map: expected \(pixels * channels) activations and gradients, found \(a.count) and \(g.count)")
        var out = [Float](repeating: 0, count: pixels)
        switch self {
        case .gradCAM, .gradCAMPlusPlus:
            let w = channelWeights(activations: a, gradients: g, pixels: pixels, channels: channels)
            for p in 0..<pixels {
                var sum: Float = 0
                for c in 0..<channels { sum += w[c] * a[p * channels + c] }
                out[p] = max(sum, 0)
            }
        case .hiResCAM, .layerCAM:
            let positiveOnly = self == .layerCAM
            for p in 0..<pixels {
                var sum: Float = 0
                for c in 0..<channels {
                    let gradient = g[p * channels + c]
                    sum += (positiveOnly ? max(gradient, 0) : gradient) * a[p * channels + c]
                }
                out[p] = max(sum, 0)
            }
        }
        return out
    }

    /// The same, for arrays (tests, small cases).
    public func map(activations: [Float], gradients: [Float], pixels: Int, channels: Int) -> [Float] {
        activations.withUnsafeBufferPointer { a in
            gradients.withUnsafeBufferPointer { g in map(activations: a, gradients: g, pixels: pixels, channels: channels) }
        }
    }

    /// Grad-CAM's and Grad-CAM++'s per-channel weights (`[channels]`).
    func channelWeights(activations a: UnsafeBufferPointer<Float>, gradients g: UnsafeBufferPointer<Float>,
                        pixels: Int, channels: Int) -> [Float] {
        var w = [Float](repeating: 0, count: channels)
        switch self {
        case .gradCAMPlusPlus:
            var activationSum = [Float](repeating: 0, count: channels)
            for p in 0..<pixels { for c in 0..<channels { activationSum[c] += a[p * channels + c] } }
            for p in 0..<pixels {
                for c in 0..<channels {
                    let gradient = g[p * channels + c]
                    guard gradient > 0 else { continue }  // ReLU(G) weighs alpha: only positive gradients count
                    let g2 = gradient * gradient
                    let denominator = 2 * g2 + activationSum[c] * g2 * gradient
                    guard denominator != 0 else { continue }
                    w[c] += g2 / denominator * gradient
                }
            }
        default:
            for p in 0..<pixels { for c in 0..<channels { w[c] += g[p * channels + c] } }
            let scale = 1 / Float(pixels)
            for c in 0..<channels { w[c] *= scale }
        }
        return w
    }
}
