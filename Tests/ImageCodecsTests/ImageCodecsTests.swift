import Foundation
import XCTest
import ImageCodecs
import TestSupport

final class ImageCodecsTests: XCTestCase {
    func testPNGRoundTripIsExact() throws {
        for (w, h) in [(32, 32), (1, 1), (7, 3), (100, 41)] {
            let image = randomImage(width: w, height: h, seed: UInt64(w * 1000 + h))
            let bytes = try PNG.encode(image)
            XCTAssertEqual(ImageFormat.sniff(bytes), .png)
            XCTAssertEqual(try PNG.decode(bytes), image, "\(w)x\(h)")
        }
    }

    func testJPEGRoundTripIsClose() throws {
        let image = smoothImage(width: 32, height: 32, seed: 1)
        for subsampling in [JPEG.ChromaSubsampling.s444, .s420] {
            let bytes = try JPEG.encode(image, quality: 95, subsampling: subsampling)
            XCTAssertEqual(ImageFormat.sniff(bytes), .jpeg)
            let decoded = try JPEG.decode(bytes)
            XCTAssertEqual(decoded.width, 32)
            XCTAssertEqual(decoded.height, 32)
            let meanError = zip(decoded.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +)
            XCTAssertLessThan(Double(meanError) / Double(image.pixels.count), 3.0, "\(subsampling)")
        }
        // Non-square and odd sizes keep their geometry.
        let odd = try JPEG.decode(JPEG.encode(smoothImage(width: 45, height: 17, seed: 2), quality: 80))
        XCTAssertEqual([odd.width, odd.height], [45, 17])
    }

    func testDecodesARealCIFAKEFile() throws {
        let path = Paths.shared.appendingPathComponent("data/cifake-sample/train/REAL/airplane_0028.jpg").path
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("cifake-sample not present") }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let image = try JPEG.decode(bytes)
        XCTAssertEqual([image.width, image.height], [32, 32])
        XCTAssertGreaterThan(Set(image.pixels).count, 20, "a photo, not a flat colour")
    }

    func testSniffAndNotAnImage() {
        XCTAssertNil(ImageFormat.sniff(Array("hello, world".utf8)))
        XCTAssertNil(ImageFormat.sniff([UInt8]()))
        XCTAssertNil(ImageFormat.sniff([0xFF, 0xD8]))
        XCTAssertEqual(ImageFormat.sniff([0xFF, 0xD8, 0xFF, 0xE0]), .jpeg)
        XCTAssertThrowsError(try ImageFormat.decode(Array("GIF89a...".utf8))) { error in
            guard case ImageCodecError.notAnImage = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try JPEG.decode(Array("not a jpeg".utf8)))
        XCTAssertThrowsError(try PNG.decode([]))
    }

    func testTruncatedAndCorruptJPEGAreErrors() throws {
        let bytes = try JPEG.encode(randomImage(width: 32, height: 32, seed: 3), quality: 90)
        for cut in [3, 20, bytes.count / 2, bytes.count - 10] {
            XCTAssertThrowsError(try JPEG.decode(Array(bytes.prefix(cut))), "cut at \(cut)") { error in
                guard case ImageCodecError.corrupt(.jpeg, _) = error else { return XCTFail("cut \(cut): \(error)") }
            }
        }
        var garbage: [UInt8] = [0xFF, 0xD8, 0xFF]
        garbage += (0..<500).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        XCTAssertThrowsError(try JPEG.decode(garbage))
    }

    func testTruncatedAndCorruptPNGAreErrors() throws {
        let bytes = try PNG.encode(randomImage(width: 32, height: 32, seed: 4))
        for cut in [4, 30, bytes.count / 2, bytes.count - 12] {
            XCTAssertThrowsError(try PNG.decode(Array(bytes.prefix(cut))), "cut at \(cut)") { error in
                guard case ImageCodecError.corrupt(.png, _) = error else { return XCTFail("cut \(cut): \(error)") }
            }
        }
        var damaged = bytes
        damaged[damaged.count / 2] ^= 0xFF  // inside IDAT: the chunk CRC no longer matches
        XCTAssertThrowsError(try PNG.decode(damaged))
    }

    func testResizeIdentityAndConstant() {
        let image = randomImage(width: 32, height: 32, seed: 5)
        XCTAssertEqual(image.resized(width: 32, height: 32), image)
        let flat = RGBImage(width: 50, height: 20, pixels: [UInt8]((0..<1000).flatMap { _ in [10, 200, 77] }))
        let small = flat.resized(width: 32, height: 32)
        XCTAssertEqual([small.width, small.height], [32, 32])
        XCTAssertEqual(small.pixels, [UInt8]((0..<1024).flatMap { _ in [10, 200, 77] as [UInt8] }))
    }

    func testResizeDownscaleByTwoAveragesPairs() {
        // A horizontal ramp 0, 2, 4, ... at 64 wide halves to the means of pixel pairs: 1, 5, 9, ...
        var pixels: [UInt8] = []
        for _ in 0..<64 { for x in 0..<64 { pixels += [UInt8(2 * x), UInt8(2 * x), 0] } }
        let half = RGBImage(width: 64, height: 64, pixels: pixels).resized(width: 32, height: 32)
        for x in 0..<32 {
            XCTAssertEqual(half.pixels[(5 * 32 + x) * 3], UInt8(4 * x + 1), "column \(x)")
        }
    }
}
