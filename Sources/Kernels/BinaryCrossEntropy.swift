import Foundation

/// Binary cross-entropy on logits, in the numerically stable form
/// `loss(z, y) = max(z, 0) - z * y + log(1 + exp(-|z|))`, averaged over the batch.
/// `sigmoid(z)` is the probability of FAKE (label 1).
public enum BinaryCrossEntropy {
    /// Mean loss over `count` logits.
    public static func forward(logits: UnsafePointer<Float>, labels: UnsafePointer<Float>, count: Int) -> Float {
        var total = 0.0
        for i in 0..<count {
            let z = Double(logits[i]), y = Double(labels[i])
            total += max(z, 0) - z * y + log1p(exp(-abs(z)))
        }
        return Float(total / Double(count))
    }

    /// `dLogits[i] = (sigmoid(z_i) - y_i) / meanOver`: the gradient of the loss averaged over
    /// `meanOver` samples (the whole global batch when a rank holds only a slice of it).
    public static func backward(dLogits: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, labels: UnsafePointer<Float>,
                                count: Int, meanOver: Int? = nil) {
        let scale = 1 / Float(meanOver ?? count)
        for i in 0..<count { dLogits[i] = (sigmoid(logits[i]) - labels[i]) * scale }
    }

    @inline(__always)
    public static func sigmoid(_ z: Float) -> Float {
        z >= 0 ? 1 / (1 + expf(-z)) : expf(z) / (1 + expf(z))
    }
}
