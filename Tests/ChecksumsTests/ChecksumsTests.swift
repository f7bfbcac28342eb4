import Checksums
import XCTest

/// The one content hash against the reference implementation's published values, and the one
/// hex formatter.
final class ChecksumsTests: XCTestCase {
    func testXXH64MatchesTheReferenceValues() {
        // Short inputs (the tail loops only), one past a 32-byte stripe (the main loop), a seed.
        XCTAssertEqual(XXH64.hash(Array("".utf8)), 0xEF46_DB37_51D8_E999)
        XCTAssertEqual(XXH64.hash(Array("a".utf8)), 0xD24E_C4F1_A98C_6E5B)
        XCTAssertEqual(XXH64.hash(Array("abc".utf8)), 0x44BC_2CF5_AD77_0999)
        XCTAssertEqual(XXH64.hash(Array("Nobody inspects the spammish repetition".utf8)), 0xFBCE_A83C_8A37_8BF1)
        XCTAssertEqual(XXH64.hash(Array("xxhash".utf8), seed: 20_141_025), 0xB559_B98D_844E_0635)
    }

    /// Every length from 0 to 100 (each tail case, one to three stripes) hashes alike through
    /// both entry points, and a one-bit change changes the hash.
    func testBothEntryPointsAgreeAtEveryLengthAndOneBitChangesTheHash() {
        let bytes = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) }
        var seen: Set<UInt64> = []
        for n in 0...100 {
            let prefix = Array(bytes[..<n])
            let hash = XXH64.hash(prefix)
            XCTAssertEqual(prefix.withUnsafeBytes { XXH64.hash($0) }, hash, "length \(n)")
            XCTAssertTrue(seen.insert(hash).inserted, "length \(n) collides with a shorter prefix")
            if n > 0 {
                var flipped = prefix
                flipped[n / 2] ^= 1
                XCTAssertNotEqual(XXH64.hash(flipped), hash, "length \(n)")
            }
        }
    }

    func testHexIsSixteenLowerCaseDigits() {
        XCTAssertEqual(Hex.string(0), "0000000000000000")
        XCTAssertEqual(Hex.string(0xAB), "00000000000000ab")
        XCTAssertEqual(Hex.string(.max), "ffffffffffffffff")
        XCTAssertEqual(Hex.prefixed(0xEF46_DB37_51D8_E999), "0xef46db3751d8e999")
    }
}
