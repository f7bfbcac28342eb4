/// 2x2 max pooling with stride 2 over NHWC, 'valid' (odd trailing rows and columns dropped).
///
/// input `[N, H, W, C]` -> output `[N, H/2, W/2, C]`; `argmax` (one byte per output element,
/// 0...3 = position in the window, row-major; the first maximum wins ties) is what backward routes
/// the gradient through.
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
                        var ch = 0
                        while ch &+ 8 <= c {
                            var best = load8(p0 + ch), at = SIMD8<Int32>(repeating: 0)
                            var v = load8(p1 + ch)
                            var gt = v .> best
                            best.replace(with: v, where: gt); at.replace(with: 1, where: gt)
                            v = load8(p2 + ch); gt = v .> best
                            best.replace(with: v, where: gt); at.replace(with: 2, where: gt)
                            v = load8(p3 + ch); gt = v .> best
                            best.replace(with: v, where: gt); at.replace(with: 3, where: gt)
                            store8(best, out + ch)
                            UnsafeMutableRawPointer(arg + ch).storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: at), as: SIMD8<UInt8>.self)
                            ch &+= 8
                        }
                        while ch < c {
                            var best = p0[ch], at: UInt8 = 0
                            if p1[ch] > best { best = p1[ch]; at = 1 }
                            if p2[ch] > best { best = p2[ch]; at = 2 }
                            if p3[ch] > best { best = p3[ch]; at = 3 }
                            out[ch] = best
                            arg[ch] = at
                            ch &+= 1
                        }
                        out += c
                        arg += c
                    }
                }
            }
        }
    }

    /// Overwrites `dInput` `[N, H, W, C]`: each output gradient goes to its window's maximum.
    /// With `reluOutput` (this pool's forward output, when its input came out of a ReLU), the
    /// ReLU's backward is fused in: windows whose maximum is not positive pass no gradient.
    public static func backward(
        dInput: UnsafeMutablePointer<Float>, dOutput: UnsafePointer<Float>, argmax: UnsafePointer<UInt8>,
        reluOutput: UnsafePointer<Float>? = nil,
        batch: Int, height: Int, width: Int, channels c: Int, threads: Int
    ) {
        let oh = height / 2, ow = width / 2, rowStride = width &* c
        parallelRanges(batch, threads: threads) { images in
            for n in images {
                let image = dInput + n &* height &* rowStride
                image.update(repeating: 0, count: height &* rowStride)
                let offset = n &* oh &* ow &* c
                var g = dOutput + offset
                var arg = argmax + offset
                var pooled = reluOutput.map { $0 + offset }
                for y in 0..<oh {
                    for x in 0..<ow {
                        let base = image + ((2 &* y) &* rowStride &+ (2 &* x) &* c)
                        if let p = pooled {
                            for ch in 0..<c {
                                let a = Int(arg[ch])
                                base[(a >> 1) &* rowStride &+ (a & 1) &* c &+ ch] = p[ch] > 0 ? g[ch] : 0
                            }
                            pooled = p + c
                        } else {
                            for ch in 0..<c {
                                let a = Int(arg[ch])
                                base[(a >> 1) &* rowStride &+ (a & 1) &* c &+ ch] = g[ch]
                            }
                        }
                        g += c
                        arg += c
                    }
                }
            }
        }
    }
}
