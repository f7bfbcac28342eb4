import Checksums
import XCTest
@testable import Dataset
import Randomness

final class ImageSetTests: XCTestCase {
    private func makeSet(real: Int, fake: Int, seed: UInt64) -> ImageSet {
        var rng = SplitMix64(seed: seed)
        let n = real + fake
        let labels = [UInt8](repeating: 0, count: real) + [UInt8](repeating: 1, count: fake)
        let pixels = (0..<n * 3072).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        return ImageSet(pixels: pixels, labels: labels, sources: (0..<n).map { "img\($0)" })
    }

    func testXXH64MatchesReferenceVectors() {
        XCTAssertEqual(XXH64.hash([UInt8](), seed: 0), 0xEF46_DB37_51D8_E999)
        XCTAssertEqual(XXH64.hash(Array("abc".utf8), seed: 0), 0x44BC_2CF5_AD77_0999)
        let text = Array("Nobody inspects the spammish repetition".utf8)  // 39 bytes: stripes + tail
        XCTAssertEqual(XXH64.hash(text, seed: 0), 0xFBCE_A83C_8A37_8BF1)
        XCTAssertEqual(XXH64.hash(Array("xxhash".utf8), seed: 0), 0x32DD_3895_2C4B_C720)
        XCTAssertEqual(XXH64.hash(Array("xxhash".utf8), seed: 20_141_025), 0xB559_B98D_844E_0635)
    }

    func testSubsetAndClassCounts() {
        let set = makeSet(real: 3, fake: 2, seed: 1)
        XCTAssertEqual(set.classCounts, .init(real: 3, fake: 2))
        let sub = set.subset([4, 0, 4])
        XCTAssertEqual(sub.count, 3)
        XCTAssertEqual(sub.labels, [1, 0, 1])
        XCTAssertEqual(sub.sources, ["img4", "img0", "img4"])
        XCTAssertEqual(sub.image(at: 0), set.image(at: 4))
        XCTAssertEqual(sub.image(at: 1), set.image(at: 0))
        XCTAssertEqual(sub.classCounts, .init(real: 1, fake: 2))
    }

    func testStratifiedSplitKeepsBalanceAndIsDeterministic() {
        let set = makeSet(real: 103, fake: 47, seed: 2)
        let (kept, held) = set.stratifiedSplit(holdOutFraction: 0.2, seed: 5)
        XCTAssertEqual(held.classCounts, .init(real: 21, fake: 9))
        XCTAssertEqual(kept.classCounts, .init(real: 82, fake: 38))
        XCTAssertEqual(Set(kept.sources).union(held.sources).count, 150)
        XCTAssertTrue(Set(kept.sources).isDisjoint(with: held.sources))
        // Original order kept; same seed same split; pixels travel with their names.
        let keptIndices = kept.sources.map { Int($0.dropFirst(3))! }
        XCTAssertEqual(keptIndices, keptIndices.sorted())
        XCTAssertEqual(kept.image(at: 10), set.image(at: keptIndices[10]))
        XCTAssertEqual(set.stratifiedSplit(holdOutFraction: 0.2, seed: 5).heldOut, held)
        XCTAssertNotEqual(set.stratifiedSplit(holdOutFraction: 0.2, seed: 6).heldOut.sources, held.sources)
    }

    func testDigestSeesEveryChange() {
        let set = makeSet(real: 4, fake: 4, seed: 3)
        XCTAssertEqual(set.digest, makeSet(real: 4, fake: 4, seed: 3).digest)
        var pixels = set.pixels
        pixels[12345] ^= 1
        XCTAssertNotEqual(ImageSet(pixels: pixels, labels: set.labels, sources: set.sources).digest, set.digest)
        var labels = set.labels
        labels[0] = 1
        XCTAssertNotEqual(ImageSet(pixels: set.pixels, labels: labels, sources: set.sources).digest, set.digest)
        XCTAssertNotEqual(set.subset([1, 0, 2, 3, 4, 5, 6, 7]).digest, set.digest, "order matters")
    }

    func testPermutationDependsOnlyOnSeedAndEpoch() {
        let p = EpochOrder.permutation(count: 1000, seed: 42, epoch: 3)
        XCTAssertEqual(p.sorted(), Array(0..<1000), "a permutation")
        XCTAssertEqual(EpochOrder.permutation(count: 1000, seed: 42, epoch: 3), p)
        XCTAssertNotEqual(EpochOrder.permutation(count: 1000, seed: 42, epoch: 4), p)
        XCTAssertNotEqual(EpochOrder.permutation(count: 1000, seed: 43, epoch: 3), p)
        XCTAssertNotEqual(p, Array(0..<1000))
        var rng = SplitMix64(seed: 42, stream: "shuffle", 3)
        XCTAssertEqual(shuffledIndices(count: 1000, using: &rng), p)
        XCTAssertEqual(EpochOrder.permutation(count: 0, seed: 1, epoch: 0), [])
    }
}
