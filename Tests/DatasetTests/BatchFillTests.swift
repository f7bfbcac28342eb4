import XCTest
@testable import Dataset
import Randomness

final class BatchFillTests: XCTestCase {
    private let set: ImageSet = {
        var rng = SplitMix64(seed: 11)
        let n = 9
        return ImageSet(pixels: (0..<n * 3072).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
                        labels: (0..<n).map { UInt8($0 % 2) }, sources: (0..<n).map { "\($0)" })
    }()

    /// The obvious version: same draws, per-pixel arithmetic.
    private func naiveFill(_ indices: [Int], _ augmentation: Augmentation, _ rng: inout SplitMix64) -> (images: [Float], labels: [Float]) {
        var images: [Float] = [], labels: [Float] = []
        for index in indices {
            labels.append(set.labels[index] == 1 ? 1 : 0)
            let flip = augmentation.horizontalFlip ? rng.next() & 1 == 1 : false
            var dy = 0, dx = 0
            if augmentation.maxShift > 0 {
                dy = rng.nextIndex(below: 2 * augmentation.maxShift + 1) - augmentation.maxShift
                dx = rng.nextIndex(below: 2 * augmentation.maxShift + 1) - augmentation.maxShift
            }
            for y in 0..<32 {
                for x in 0..<32 {
                    let sy = min(max(y + dy, 0), 31)
                    let sx = min(max((flip ? 31 - x : x) + dx, 0), 31)
                    for c in 0..<3 {
                        images.append(Float(set.pixels[index * 3072 + (sy * 32 + sx) * 3 + c]) / 255)
                    }
                }
            }
        }
        return (images, labels)
    }

    private func fastFill(_ indices: [Int], _ augmentation: Augmentation, _ rng: inout SplitMix64) -> (images: [Float], labels: [Float]) {
        var images = [Float](repeating: -1, count: indices.count * 3072)
        var labels = [Float](repeating: -1, count: indices.count)
        images.withUnsafeMutableBufferPointer { img in
            labels.withUnsafeMutableBufferPointer { lab in
                fillBatch(images: img.baseAddress!, labels: lab.baseAddress!, from: set, indices: indices,
                          augmentation: augmentation, rng: &rng)
            }
        }
        return (images, labels)
    }

    func testNoAugmentationScalesAndDrawsNothing() {
        var rng = SplitMix64(seed: 1)
        let before = rng
        let (images, labels) = fastFill([3, 0, 8], .none, &rng)
        XCTAssertEqual(rng, before, ".none must not consume randomness")
        XCTAssertEqual(labels, [1, 0, 0])
        XCTAssertEqual(images[0], Float(set.pixels[3 * 3072]) / 255)
        XCTAssertEqual(images[3072 + 100], Float(set.pixels[100]) / 255)
        XCTAssertTrue(images.allSatisfy { $0 >= 0 && $0 <= 1 })
        var twinRng = SplitMix64(seed: 1)
        XCTAssertEqual(naiveFill([3, 0, 8], .none, &twinRng).images, images)
    }

    func testFlipAndShiftMatchNaiveTwin() {
        let indices = Array(0..<9) + [4, 4, 7]
        for augmentation in [Augmentation(horizontalFlip: true), Augmentation(maxShift: 3),
                             Augmentation(horizontalFlip: true, maxShift: 4)] {
            var fastRng = SplitMix64(seed: 77), naiveRng = SplitMix64(seed: 77)
            let fast = fastFill(indices, augmentation, &fastRng)
            let naive = naiveFill(indices, augmentation, &naiveRng)
            XCTAssertEqual(fast.images, naive.images, "\(augmentation)")
            XCTAssertEqual(fast.labels, naive.labels)
            XCTAssertEqual(fastRng, naiveRng, "same number of draws")
            XCTAssertNotEqual(fast.images, fastFill(indices, .none, &fastRng).images, "augmentation changed something")
        }
    }

    func testFlipMirrorsExactly() {
        // Find a seed whose first draw flips, then check pixel (y, x) came from (y, 31 - x).
        var seed: UInt64 = 0
        while true { var r = SplitMix64(seed: seed); if r.next() & 1 == 1 { break }; seed += 1 }
        var rng = SplitMix64(seed: seed)
        let (images, _) = fastFill([2], Augmentation(horizontalFlip: true), &rng)
        for (y, x, c) in [(0, 0, 0), (5, 7, 2), (31, 31, 1)] {
            XCTAssertEqual(images[(y * 32 + x) * 3 + c], Float(set.pixels[2 * 3072 + (y * 32 + 31 - x) * 3 + c]) / 255)
        }
    }
}
