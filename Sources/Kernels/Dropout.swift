import Randomness

/// Inverted dropout: in training each element is kept with probability `1 - rate` and scaled by
/// `1 / (1 - rate)`, so inference is the identity. `mask` holds the per-element factor.
public enum Dropout {
    public static func forward(
        output: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        count: Int, rate: Float, rng: inout SplitMix64
    ) {
        let keep = 1 - rate, scale = 1 / keep
        for i in 0..<count {
            mask[i] = rng.nextUnitFloat() < keep ? scale : 0
            output[i] = input[i] * mask[i]
        }
    }

    public static func backward(dInput: UnsafeMutablePointer<Float>, dOutput: UnsafePointer<Float>, mask: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { dInput[i] = dOutput[i] * mask[i] }
    }
}
