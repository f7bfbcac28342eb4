/// Global average pooling: input `[N, H, W, C]` -> output `[N, C]`.
public enum GlobalAveragePool {
    public static func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, batch: Int, pixels: Int, channels c: Int) {
        let scale = 1 / Float(pixels)
        for n in 0..<batch {
            let out = output + n &* c
            out.update(repeating: 0, count: c)
            let image = input + n &* pixels &* c
            for p in 0..<pixels {
                let px = image + p &* c
                for ch in 0..<c { out[ch] += px[ch] }
            }
            for ch in 0..<c { out[ch] *= scale }
        }
    }

    /// Overwrites `dInput` `[N, H, W, C]` with `dOutput[n, c] / (H * W)` at every pixel.
    public static func backward(dInput: UnsafeMutablePointer<Float>, dOutput: UnsafePointer<Float>, batch: Int, pixels: Int, channels c: Int) {
        let scale = 1 / Float(pixels)
        for n in 0..<batch {
            let g = dOutput + n &* c
            let image = dInput + n &* pixels &* c
            for p in 0..<pixels {
                let px = image + p &* c
                for ch in 0..<c { px[ch] = g[ch] * scale }
            }
        }
    }
}
