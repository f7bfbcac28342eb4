/// 2x2 max pooling with stride 2 over NHWC, 'valid' (odd trailing rows and columns dropped).
///
/// input `[N, H, W, C]` -> output `[N, H/2, W/2, C]`; `argmax` (one byte per output element,
/// 0...3 = position in the window, row-major) is what backward routes the gradient through.
public enum MaxPool2D {
    public static func forward(
        output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<UInt8>,
        input: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels c: Int, threads: Int
    ) {
        let oh = height / 2, ow = width / 2, rowStride = width &* c
        parallelRanges(batch, threads: threads) { images in
            for n in images {
                let image = input + n &* height &* rowStride
                var out = output + n &* oh &* ow &* c
                var arg = argmax + n &* oh &* ow &* c
                for y in 0..<oh {
                    for x in 0..<ow {
                        let p0 = image + ((2 &* y) &* rowStride &+ (2 &* x) &* c)
                        let p1 = p0 + c, p2 = p0 + rowStride, p3 = p2 + c
                        for ch in 0..<c {
                            var best = p0[ch], at: UInt8 = 0
                            if p1[ch] > best { best = p1[ch]; at = 1 }
                            if p2[ch] > best { best = p2[ch]; at = 2 }
                            if p3[ch] > best { best = p3[ch]; at = 3 }
                            out[ch] = best
                            arg[ch] = at
                        }
                        out += c
                        arg += c
                    }
                }
            }
        }
    }

    /// Overwrites `dInput` `[N, H, W, C]`: each output gradient goes to its window's maximum.
    public static func backward(
        dInput: UnsafeMutablePointer<Float>, dOutput: UnsafePointer<Float>, argmax: UnsafePointer<UInt8>,
        batch: Int, height: Int, width: Int, channels c: Int, threads: Int
    ) {
        let oh = height / 2, ow = width / 2, rowStride = width &* c
        parallelRanges(batch, threads: threads) { images in
            for n in images {
                let image = dInput + n &* height &* rowStride
                image.update(repeating: 0, count: height &* rowStride)
                var g = dOutput + n &* oh &* ow &* c
                var arg = argmax + n &* oh &* ow &* c
                for y in 0..<oh {
                    for x in 0..<ow {
                        let base = image + ((2 &* y) &* rowStride &+ (2 &* x) &* c)
                        for ch in 0..<c {
                            let a = Int(arg[ch])
                            base[(a >> 1) &* rowStride &+ (a & 1) &* c &+ ch] = g[ch]
                        }
                        g += c
                        arg += c
                    }
                }
            }
        }
    }
}
