import XCTest
@testable import Imaging

final class HeatmapTests: XCTestCase {
    /// Bilinear resize written straight from the definition, one output pixel at a time.
    func naiveUpsample(_ m: [Float], _ w: Int, _ h: Int, _ ow: Int, _ oh: Int, alignCorners: Bool) -> [Float] {
        func source(_ i: Int, _ n: Int, _ o: Int) -> Double {
            let s = alignCorners ? (o > 1 ? Double(i) * Double(n - 1) / Double(o - 1) : 0)
                : (Double(i) + 0.5) * Double(n) / Double(o) - 0.5
            return min(max(s, 0), Double(n - 1))
        }
        var out: [Float] = []
        for oy in 0..<oh {
            for ox in 0..<ow {
                let sx = source(ox, w, ow), sy = source(oy, h, oh)
                let x0 = Int(sx), y0 = Int(sy), x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
                let fx = sx - Double(x0), fy = sy - Double(y0)
                func v(_ x: Int, _ y: Int) -> Double { Double(m[y * w + x]) }
                let value = v(x0, y0) * (1 - fx) * (1 - fy) + v(x1, y0) * fx * (1 - fy)
                    + v(x0, y1) * (1 - fx) * fy + v(x1, y1) * fx * fy
                out.append(Float(value))
            }
        }
        return out
    }

    func randomMap(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 4 - 1
        }
    }

    func testUpsampleMatchesNaiveTwin() {
        for (w, h, ow, oh) in [(13, 13, 32, 32), (7, 5, 20, 9), (3, 4, 3, 4), (6, 6, 256, 256), (5, 1, 11, 3), (8, 8, 3, 5)] {
            let map = randomMap(w * h, seed: UInt64(w * 100 + oh))
            for align in [false, true] {
                let fast = Heatmap.bilinearUpsample(map: map, width: w, height: h, toWidth: ow, toHeight: oh, alignCorners: align)
                let naive = naiveUpsample(map, w, h, ow, oh, alignCorners: align)
                XCTAssertEqual(fast.count, ow * oh)
                for i in fast.indices {
                    XCTAssertEqual(fast[i], naive[i], accuracy: 1e-5, "\(w)x\(h)->\(ow)x\(oh) align \(align) at \(i)")
                }
            }
        }
    }

    func testUpsampleConventions() {
        let map: [Float] = [0, 1, 2, 3]  // 2x2
        // Constant map stays exactly constant.
        let c = Heatmap.bilinearUpsample(map: [Float](repeating: 0.37, count: 169), width: 13, height: 13, toWidth: 32, toHeight: 32)
        XCTAssertTrue(c.allSatisfy { $0 == 0.37 })
        // Same size is the identity in both conventions.
        XCTAssertEqual(Heatmap.bilinearUpsample(map: map, width: 2, height: 2, toWidth: 2, toHeight: 2), map)
        XCTAssertEqual(Heatmap.bilinearUpsample(map: map, width: 2, height: 2, toWidth: 2, toHeight: 2, alignCorners: true), map)
        // Align corners: output corners are the input corners; 2 -> 3 puts the mean in the middle.
        let a = Heatmap.bilinearUpsample(map: map, width: 2, height: 2, toWidth: 3, toHeight: 3, alignCorners: true)
        XCTAssertEqual(a, [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3])
        // Half-pixel centres: 2 -> 4 gives edge-clamped quarters.
        let row = Heatmap.bilinearUpsample(map: [0, 1], width: 2, height: 1, toWidth: 4, toHeight: 1)
        XCTAssertEqual(row, [0, 0.25, 0.75, 1])
    }

    func testNormalize() {
        XCTAssertEqual(Heatmap.normalize([2, 4, 6]), [0, 0.5, 1])
        XCTAssertEqual(Heatmap.normalize([0, 0, 0]), [0, 0, 0])
        XCTAssertEqual(Heatmap.normalize([3, 3]), [0, 0])  // no contrast
        XCTAssertEqual(Heatmap.normalize([.nan, 1, 2]), [0, 0.5, 1])  // NaN counts as 0
        XCTAssertEqual(Heatmap.normalize([0, 2, 4], mode: .divideByMax), [0, 0.5, 1])
        XCTAssertEqual(Heatmap.normalize([-1, 1, 2], mode: .divideByMax), [0, 0.5, 1])
        XCTAssertEqual(Heatmap.normalize([0, 0], mode: .divideByMax), [0, 0])
        XCTAssertEqual(Heatmap.normalize([-2, -1], mode: .divideByMax), [0, 0])
        XCTAssertEqual(Heatmap.normalize([]), [])
    }

    func testBlendAtAlphaZeroAndOne() {
        var image = Raster(width: 4, height: 3)
        for i in image.pixels.indices { image.pixels[i] = UInt8((i * 37) % 256) }
        let heat = (0..<12).map { Float($0) / 11 }
        XCTAssertEqual(Heatmap.blend(image: image, heat: heat, colormap: .jet, alpha: 0), image)
        let full = Heatmap.blend(image: image, heat: heat, colormap: .jet, alpha: 1)
        XCTAssertEqual(full, Heatmap.colorize(heat, width: 4, height: 3, colormap: .jet))
        XCTAssertEqual(full[3, 2], Colormap.jet.color(1))
        XCTAssertEqual(full[0, 0], Colormap.jet.color(0))
        // Half way: the rounded mean.
        let half = Heatmap.blend(image: Raster(width: 1, height: 1, color: RGB(0, 100, 255)), heat: [1],
                                 colormap: .gray, alpha: 0.5)
        XCTAssertEqual(half[0, 0], RGB(128, 178, 255))
    }

    func testScaleNearestRepeatsPixels() {
        var image = Raster(width: 3, height: 2)
        for i in image.pixels.indices { image.pixels[i] = UInt8(i * 13) }
        let big = Heatmap.scaleNearest(image, factor: 4)
        XCTAssertEqual(big.width, 12); XCTAssertEqual(big.height, 8)
        for y in 0..<8 { for x in 0..<12 { XCTAssertEqual(big[x, y], image[x / 4, y / 4]) } }
        XCTAssertEqual(Heatmap.scaleNearest(image, factor: 1), image)
    }

    func testScaleBilinear() {
        let flat = Raster(width: 5, height: 4, color: RGB(10, 200, 77))
        XCTAssertEqual(Heatmap.scaleBilinear(flat, factor: 3), Raster(width: 15, height: 12, color: RGB(10, 200, 77)))
        var ramp = Raster(width: 2, height: 1)
        ramp[0, 0] = .black; ramp[1, 0] = .white
        let big = Heatmap.scaleBilinear(ramp, factor: 2)
        XCTAssertEqual((0..<4).map { big[$0, 0].g }, [0, 64, 191, 255])
    }

    func testTriptychLaysPanelsOutWithCaptions() {
        let a = Raster(width: 10, height: 10, color: .red)
        let b = Raster(width: 10, height: 10, color: .green)
        let c = Raster(width: 10, height: 6, color: .blue)
        let t = Heatmap.triptych(original: a, heatmap: b, overlay: c, spacing: 4, captions: ["a", "b", "c"])
        XCTAssertEqual(t.width, 4 + 10 + 4 + 10 + 4 + 10 + 4)
        XCTAssertEqual(t.height, 4 + 10 + BitmapFont.lineHeight + 4 + 4)
        XCTAssertEqual(t[4, 4], .red); XCTAssertEqual(t[13, 13], .red)
        XCTAssertEqual(t[18, 4], .green)
        XCTAssertEqual(t[32, 4], .blue); XCTAssertEqual(t[32, 10], .white)  // shorter panel, top-aligned
        XCTAssertEqual(t[3, 4], .white); XCTAssertEqual(t[14, 4], .white)  // spacing
        // Each caption puts ink under its own panel only.
        for (panelX, _) in [(4, "a"), (18, "b"), (32, "c")] {
            var ink = 0
            for y in 18..<t.height { for x in panelX..<(panelX + 10) where t[x, y] == .black { ink += 1 } }
            XCTAssertGreaterThan(ink, 3)
        }
    }
}
