import Imaging
import Kernels
import Model

/// Grad-CAM for the binary sigmoid detector, on the last convolution (conv2 after ReLU,
/// 13x13x64): the gradient of the FAKE logit (its negative, to explain REAL) with respect to the
/// activations, channel weights = the spatial mean of that gradient, ReLU of the weighted sum of
/// the activation maps, bilinearly upsampled to 32x32 and divided by its maximum (an all-zero map
/// stays zero: nothing in the image pushed towards that class).
public enum GradCAM {
    public enum Target: Sendable, Equatable {
        /// Explain the class the model predicts for each image.
        case predicted
        case fake
        case real
    }

    public struct Explanation: Sendable {
        /// P(FAKE) for the image.
        public var probability: Float
        /// The class explained: true for FAKE.
        public var explainsFake: Bool
        /// 13x13 map before upsampling (not normalised), row-major.
        public var coarse: [Float]
        /// 32x32 map in [0, 1], row-major.
        public var heatmap: [Float]
    }

    /// Explains `count` images `[count, 32, 32, 3]` (values in [0, 1]). Uses the network's
    /// gradient buffers as scratch: do not call between a training step's backward and update.
    public static func explain(network: Network, images: UnsafePointer<Float>, count n: Int, target: Target = .predicted) -> [Explanation] {
        let conv = network.plan.conv2, imageSide = network.plan.constants.imageSide
        let side = conv.outputSide, pixels = side * side, channels = conv.filters
        var results: [Explanation] = []
        var start = 0
        let dLogits = FloatBuffer(count: network.maxBatch)
        while start < n {
            let m = min(network.maxBatch, n - start)
            let logits = network.forward(input: images + start * network.plan.perImage.input, batch: m, dropout: nil)
            var fake = [Bool](repeating: true, count: m)
            for i in 0..<m {
                switch target {
                case .predicted: fake[i] = logits[i] >= 0
                case .fake: fake[i] = true
                case .real: fake[i] = false
                }
                dLogits.pointer[i] = fake[i] ? 1 : -1  // d(score)/d(logit): FAKE logit, or its negative
            }
            let probabilities = (0..<m).map { BinaryCrossEntropy.sigmoid(logits[$0]) }
            network.zeroGradients()
            network.backward(dLogits: dLogits.pointer, keepActivationGradient: true)
            let a = network.lastConvActivations, g = network.lastConvActivationGradient
            for i in 0..<m {
                let base = i * pixels * channels
                var weights = [Float](repeating: 0, count: channels)
                for p in 0..<pixels { for c in 0..<channels { weights[c] += g[base + p * channels + c] } }
                for c in 0..<channels { weights[c] /= Float(pixels) }
                var coarse = [Float](repeating: 0, count: pixels)
                for p in 0..<pixels {
                    var sum: Float = 0
                    for c in 0..<channels { sum += weights[c] * a[base + p * channels + c] }
                    coarse[p] = max(sum, 0)
                }
                let fine = Heatmap.bilinearUpsample(map: coarse, width: side, height: side, toWidth: imageSide, toHeight: imageSide)
                results.append(Explanation(probability: probabilities[i], explainsFake: fake[i], coarse: coarse,
                                           heatmap: Heatmap.normalize(fine, mode: .divideByMax)))
            }
            start += m
        }
        network.zeroGradients()
        return results
    }

    /// The picture a person looks at: the image, the colour-mapped heatmap and their blend, each
    /// scaled up `scale` times (nearest neighbour, so pixels stay visible), side by side.
    public static func triptych(image pixels: [UInt8], heatmap: [Float], caption: String, scale: Int = 8) -> Raster {
        let original = Raster(width: 32, height: 32, pixels: pixels)
        let colored = Heatmap.colorize(heatmap, width: 32, height: 32, colormap: .jet)
        let overlay = Heatmap.blend(image: original, heat: heatmap, colormap: .jet, alpha: 0.45)
        return Heatmap.triptych(original: Heatmap.scaleNearest(original, factor: scale),
                                heatmap: Heatmap.scaleNearest(colored, factor: scale),
                                overlay: Heatmap.scaleNearest(overlay, factor: scale),
                                captions: ["image", "Grad-CAM", caption], textScale: 2)
    }
}
