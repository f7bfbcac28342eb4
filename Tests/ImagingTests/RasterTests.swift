import XCTest
@testable import Imaging

final class RasterTests: XCTestCase {
    func inked(_ r: Raster, _ color: RGB = .black) -> [(Int, Int)] {
        var points: [(Int, Int)] = []
        for y in 0..<r.height { for x in 0..<r.width where r[x, y] == color { points.append((x, y)) } }
        return points
    }

    func testLayoutIsHWC() {
        var r = Raster(width: 3, height: 2, color: .black)
        r[2, 1] = RGB(1, 2, 3)
        XCTAssertEqual(r.pixels.count, 18)
        XCTAssertEqual(Array(r.pixels[15..<18]), [1, 2, 3])
        r.setPixel(x: -1, y: 0, .white); r.setPixel(x: 3, y: 1, .white)  // outside: ignored
        XCTAssertEqual(inked(r, .white).count, 0)
    }

    func testLinesIncludeEndsAndHonourThicknessAndClipping() {
        var r = Raster(width: 20, height: 20)
        r.drawLine(x0: 2, y0: 5, x1: 12, y1: 5, .black)
        XCTAssertEqual(inked(r).count, 11)
        XCTAssertEqual(r[2, 5], .black); XCTAssertEqual(r[12, 5], .black); XCTAssertEqual(r[13, 5], .white)

        r = Raster(width: 20, height: 20)
        r.drawLine(x0: 0, y0: 0, x1: 9, y1: 9, .black)  // diagonal: one pixel per step
        XCTAssertEqual(inked(r).map { $0.0 }, Array(0...9))
        XCTAssertTrue(inked(r).allSatisfy { $0.0 == $0.1 })

        r = Raster(width: 20, height: 20)
        r.drawLine(x0: 5, y0: 10, x1: 14, y1: 10, .black, thickness: 3)
        XCTAssertEqual(inked(r).count, 12 * 3)  // square pen: one pixel past each end
        XCTAssertEqual(Set(inked(r).map { $0.1 }), [9, 10, 11])
        XCTAssertEqual(Set(inked(r).map { $0.0 }), Set(4...15))

        // Far-away endpoints are clipped first: quick, and the visible part is right.
        r = Raster(width: 20, height: 20)
        r.drawLine(x0: -1_000_000_000, y0: 7, x1: 1_000_000_000, y1: 7, .black)
        XCTAssertEqual(inked(r).count, 20)
        XCTAssertTrue(inked(r).allSatisfy { $0.1 == 7 })

        r = Raster(width: 20, height: 20)
        let clip = PixelRect(x: 5, y: 5, width: 5, height: 5)
        r.drawLine(x0: 0, y0: 0, x1: 19, y1: 19, .black, thickness: 3, clip: clip)
        XCTAssertFalse(inked(r).isEmpty)
        XCTAssertTrue(inked(r).allSatisfy { clip.contains(x: $0.0, y: $0.1) })

        r = Raster(width: 20, height: 3)
        r.drawLine(x0: 0, y0: 1, x1: 19, y1: 1, .black, dash: 4)
        XCTAssertEqual(inked(r).map { $0.0 }, [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19])
    }

    func testRectsAndBlitClip() {
        var r = Raster(width: 10, height: 10)
        r.fillRect(PixelRect(x: -5, y: 8, width: 8, height: 10), .black)
        XCTAssertEqual(inked(r).count, 3 * 2)
        r = Raster(width: 10, height: 10)
        r.strokeRect(PixelRect(x: 1, y: 1, width: 4, height: 3), .black)
        XCTAssertEqual(inked(r).count, 10)
        XCTAssertEqual(r[2, 2], .white)

        var small = Raster(width: 3, height: 3, color: .red)
        small[0, 0] = .blue
        r = Raster(width: 5, height: 5)
        r.blit(small, x: -1, y: 3)  // only columns 1-2 of rows 0-1 of `small` land
        XCTAssertEqual(inked(r, .red).count, 4)
        XCTAssertEqual(r[0, 3], .red)
        XCTAssertEqual(inked(r, .blue).count, 0)
        r.blit(small, x: 4, y: 4)
        XCTAssertEqual(r[4, 4], .blue)
    }

    func testTextPutsInkWhereTheGlyphSays() {
        // "I" is .###. / ..#.. x5 / .###.
        var r = Raster(width: 20, height: 20)
        r.drawText("I", x: 3, y: 4, .black)
        XCTAssertEqual(Set(inked(r).filter { $0.1 == 4 }.map { $0.0 }), [4, 5, 6])
        XCTAssertEqual(Set(inked(r).filter { $0.1 == 7 }.map { $0.0 }), [5])
        XCTAssertEqual(inked(r).count, 3 + 5 + 3)
        XCTAssertTrue(inked(r).allSatisfy { $0.1 >= 4 && $0.1 < 11 })

        // Scale 2: every font pixel is a 2x2 block; second character starts one advance on.
        r = Raster(width: 40, height: 20)
        r.drawText("-.", x: 0, y: 0, .black, scale: 2)
        XCTAssertEqual(Set(inked(r).filter { $0.0 < 12 }.map { $0.1 }), [6, 7])  // '-' on row 3
        XCTAssertEqual(inked(r).filter { $0.0 < 12 }.count, 3 * 4)
        XCTAssertEqual(Set(inked(r).filter { $0.0 >= 12 }.map { $0.0 }), [14, 15, 16, 17])  // '.' cols 1-2

        // Vertical text stays in its turned box: glyphHeight wide, text width tall.
        r = Raster(width: 30, height: 40)
        r.drawText("ab", x: 5, y: 6, .black, vertical: true)
        let size = BitmapFont.size(of: "ab")
        XCTAssertTrue(inked(r).allSatisfy { $0.0 >= 5 && $0.0 < 5 + size.height && $0.1 >= 6 && $0.1 < 6 + size.width })
        // The first letter is at the bottom (reads bottom to top).
        XCTAssertTrue(inked(r).contains { $0.1 >= 6 + size.width - 5 })
    }

    func testFontCoversTheCharactersPlotsUse() {
        let needed = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.,-%:/()= "
        for c in needed {
            XCTAssertNotNil(BitmapFont.glyphs[c], "no glyph for '\(c)'")
            if c != " " { XCTAssertTrue(BitmapFont.rows(of: c).contains { $0 != 0 }, "'\(c)' is blank") }
        }
        // Glyphs are distinct (a copy-paste slip would make two letters look the same).
        var seen: [[UInt8]: Character] = [:]
        for (c, rows) in BitmapFont.glyphs {
            if let other = seen[rows] { XCTFail("'\(c)' and '\(other)' are the same glyph") }
            seen[rows] = c
        }
        XCTAssertTrue(BitmapFont.glyphs.values.allSatisfy { $0.count == BitmapFont.glyphHeight && $0.allSatisfy { $0 < 32 } })
        XCTAssertEqual(BitmapFont.rows(of: "€"), BitmapFont.unknown)
    }
}
