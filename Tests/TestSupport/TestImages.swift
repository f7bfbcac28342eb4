import Foundation
import ImageCodecs
import Randomness

/// A deterministic noisy test image.
public func randomImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
    var rng = SplitMix64(seed: seed)
    return RGBImage(width: width, height: height,
                    pixels: (0..<width * height * 3).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
}

/// A smooth test image (JPEG keeps it within a few levels).
public func smoothImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
    var rng = SplitMix64(seed: seed)
    let base = (0..<3).map { _ in Double(rng.nextIndex(below: 128)) + 60 }
    var pixels: [UInt8] = []
    for y in 0..<height { for x in 0..<width { for c in 0..<3 {
        pixels.append(UInt8(base[c] + 30 * sin(Double(x + 2 * c) / 6) + 20 * cos(Double(y) / 5)))
    } } }
    return RGBImage(width: width, height: height, pixels: pixels)
}
