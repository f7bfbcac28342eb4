import Kernels
import Model

/// Class activation maps of the detector on the last convolution (conv2 after ReLU, 13x13x64):
/// one forward and one backward per batch give the activations and the gradient of the explained
/// score, and every requested `CAMMethod` is computed from those two.
public enum Explainer {
    /// Explains `count` images `[count, 32, 32, 3]` (values in [0, 1]) with each of `methods`;
    /// returns `[image][method]`, in the order of `methods`. Uses the network's gradient buffers
    /// as scratch: do not call between a training step's backward and update.
    public static func explain(network: Network, images: UnsafePointer<Float>, count n: Int, methods: [CAMMethod],
                               target: ExplanationTarget = .predicted) -> [[Explanation]] {
        let plan = network.plan, side = plan.conv2.outputSide, imageSide = plan.constants.imageSide
        let pixels = side * side, channels = plan.conv2.filters
        let field = ReceptiveField(lastConvolutionOf: plan)
        var results: [[Explanation]] = []
        let dLogits = FloatBuffer(count: network.maxBatch)
        var start = 0
        while start < n {
            let m = min(network.maxBatch, n - start)
            let logits = network.forward(input: images + start * plan.perImage.input, batch: m, dropout: nil)
            var fake = [Bool](repeating: true, count: m)
            for i in 0..<m {
                fake[i] = target.explainsFake(logit: logits[i])
                dLogits.pointer[i] = fake[i] ? 1 : -1  // d(score)/d(logit): the FAKE logit, or its negative
            }
            let probabilities = (0..<m).map { BinaryCrossEntropy.sigmoid(logits[$0]) }
            network.zeroGradients()
            network.backward(dLogits: dLogits.pointer, keepActivationGradient: true)
            for i in 0..<m {
                let base = i * pixels * channels
                let a = UnsafeBufferPointer(start: network.lastConvActivations + base, count: pixels * channels)
                let g = UnsafeBufferPointer(start: network.lastConvActivationGradient + base, count: pixels * channels)
                results.append(methods.map { method in
                    let coarse = method.map(activations: a, gradients: g, pixels: pixels, channels: channels)
                    return Explanation(method: method, probability: probabilities[i], explainsFake: fake[i], coarse: coarse,
                                       map: field.upsample(coarse, width: side, height: side, toWidth: imageSide, toHeight: imageSide))
                })
            }
            start += m
        }
        network.zeroGradients()
        return results
    }

    /// One method's explanation of each image.
    public static func explain(network: Network, images: UnsafePointer<Float>, count: Int, method: CAMMethod,
                               target: ExplanationTarget = .predicted) -> [Explanation] {
        explain(network: network, images: images, count: count, methods: [method], target: target).map { $0[0] }
    }
}
