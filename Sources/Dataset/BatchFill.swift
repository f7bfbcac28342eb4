import Randomness

/// Writes the images at `indices` of `set` into `images` as NHWC Float32 in [0, 1] (byte / 255)
/// and their labels (0 = REAL, 1 = FAKE) into `labels`.
///
/// - `images` must hold `indices.count * 32 * 32 * 3` floats, `labels` `indices.count` floats.
/// - With augmentation, for each image in order: one draw for the flip (if `horizontalFlip`),
///   then one for the row shift and one for the column shift (if `maxShift > 0`). Output pixel
///   (y, x) is source pixel (clamp(y + dy), clamp(x' + dx)) with x' = 31 - x when flipped.
///   `Augmentation.none` draws nothing from `rng`.
/// No allocation: this runs once per training step.
public func fillBatch(images: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<Float>,
                      from set: ImageSet, indices: some Collection<Int>,
                      augmentation: Augmentation, rng: inout SplitMix64) {
    let h = ImageSet.height, w = ImageSet.width, c = ImageSet.channels
    let b = ImageSet.bytesPerImage
    let flipEnabled = augmentation.horizontalFlip
    let maxShift = augmentation.maxShift
    set.pixels.withUnsafeBufferPointer { all in
        let pixels = all.baseAddress!
        var n = 0
        for index in indices {
            precondition(index >= 0 && index < set.count, "index \(index) out of range 0..<\(set.count)")
            labels[n] = Float(set.labels[index])
            let src = pixels + index * b
            let dst = images + n * b
            let flip = flipEnabled && rng.next() & 1 == 1
            var dy = 0, dx = 0
            if maxShift > 0 {
                dy = rng.nextIndex(below: 2 * maxShift + 1) - maxShift
                dx = rng.nextIndex(below: 2 * maxShift + 1) - maxShift
            }
            if !flip && dy == 0 && dx == 0 {
                for i in 0..<b { dst[i] = Float(src[i]) / 255 }
            } else {
                for y in 0..<h {
                    let sy = min(max(y &+ dy, 0), h &- 1)
                    let srcRow = src + sy &* w &* c
                    let dstRow = dst + y &* w &* c
                    for x in 0..<w {
                        let fx = flip ? w &- 1 &- x : x
                        let sx = min(max(fx &+ dx, 0), w &- 1)
                        let s = srcRow + sx &* c, d = dstRow + x &* c
                        d[0] = Float(s[0]) / 255
                        d[1] = Float(s[1]) / 255
                        d[2] = Float(s[2]) / 255
                    }
                }
            }
            n &+= 1
        }
    }
}
