import Randomness
import XCTest

/// Every random choice of a run draws from SplitMix64, so its outputs are part of what makes a
/// seeded run reproducible: they must be the published algorithm's, on every machine.
final class SplitMix64Tests: XCTestCase {
    /// Steele, Lea and Flood's SplitMix64 (Vigna's `splitmix64.c`), seeded with 0 and 1234567:
    /// values computed by an independent implementation.
    func testOutputsAreTheReferenceAlgorithms() {
        var zero = SplitMix64(seed: 0)
        XCTAssertEqual((0..<3).map { _ in zero.next() }, [0xe220_a839_7b1d_cdaf, 0x6e78_9e6a_a1b9_65f4, 0x06c4_5d18_8009_454f])
        var other = SplitMix64(seed: 1_234_567)
        XCTAssertEqual((0..<2).map { _ in other.next() }, [0x599e_d017_fb08_fc85, 0x2c73_f084_5854_0fa5])
    }

    /// A stream is a function of the seed, its tag and its index alone; any of the three changing
    /// gives another sequence.
    func testStreamsAreReproducibleAndDistinct() {
        func first(_ seed: UInt64, _ tag: String, _ index: UInt64) -> [UInt64] {
            var g = SplitMix64(seed: seed, stream: tag, index)
            return (0..<4).map { _ in g.next() }
        }
        XCTAssertEqual(first(7, "shuffle", 3), first(7, "shuffle", 3))
        let variants = [first(7, "shuffle", 3), first(8, "shuffle", 3), first(7, "dropout", 3), first(7, "shuffle", 4), first(7, "shuffle", 0)]
        XCTAssertEqual(Set(variants.map { $0.description }).count, variants.count)
    }

    /// Unit floats lie in [0, 1) on the 2^-24 grid and fill it evenly (each tenth within five
    /// standard deviations of its expected count).
    func testUnitFloatsAreOnTheGridAndEven() {
        var g = SplitMix64(seed: 42)
        let n = 100_000
        var bins = [Int](repeating: 0, count: 10)
        for _ in 0..<n {
            let x = g.nextUnitFloat()
            XCTAssert(x >= 0 && x < 1, "\(x)")
            XCTAssertEqual(x * 16_777_216, (x * 16_777_216).rounded(), "a multiple of 2^-24")
            bins[Int(x * 10)] += 1
        }
        let sd = (Double(n) * 0.1 * 0.9).squareRoot()
        for (i, count) in bins.enumerated() { XCTAssertEqual(Double(count), Double(n) / 10, accuracy: 5 * sd, "tenth \(i)") }
    }

    /// Indices stay below their bound, reach every value, and show no modulo bias: with a bound
    /// of 3 * 2^61 (where `next() % bound` would give the values below 2^62 three chances and the
    /// rest two, drawing the lower third 3/8 of the time, 15 standard deviations off), the lower
    /// third is drawn a third of the time.
    func testIndicesAreBoundedAndUnbiased() {
        var g = SplitMix64(seed: 9)
        XCTAssertEqual((0..<100).map { _ in g.nextIndex(below: 1) }, Array(repeating: 0, count: 100))
        var seen = Set<Int>()
        for _ in 0..<2_000 {
            let i = g.nextIndex(below: 37)
            XCTAssert((0..<37).contains(i))
            seen.insert(i)
        }
        XCTAssertEqual(seen.count, 37)
        let bound = 3 << 61
        let n = 30_000
        let lower = (0..<n).filter { _ in g.nextIndex(below: bound) < bound / 3 }.count
        let sd = (Double(n) / 3 * 2 / 3).squareRoot()
        XCTAssertEqual(Double(lower), Double(n) / 3, accuracy: 5 * sd, "modulo would give 3/8")
    }

    /// A shuffle is a permutation, the same for the same generator state, and moves most items.
    func testShuffledIndicesArePermutations() {
        for count in [0, 1, 2, 10, 1_000] {
            var a = SplitMix64(seed: 5), b = SplitMix64(seed: 5)
            let order = shuffledIndices(count: count, using: &a)
            XCTAssertEqual(order.sorted(), Array(0..<count))
            XCTAssertEqual(order, shuffledIndices(count: count, using: &b))
        }
        var g = SplitMix64(seed: 6)
        let order = shuffledIndices(count: 1_000, using: &g)
        XCTAssertLessThan(zip(order, 0..<1_000).filter { $0 == $1 }.count, 10, "about one fixed point expected")
    }
}
