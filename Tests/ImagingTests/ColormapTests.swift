import XCTest
@testable import Imaging

final class ColormapTests: XCTestCase {
    func hue(_ c: RGB) -> Double {
        let r = Double(c.r) / 255, g = Double(c.g) / 255, b = Double(c.b) / 255
        let hi = max(r, g, b), lo = min(r, g, b), d = hi - lo
        guard d > 0 else { return 0 }
        var h: Double
        if hi == r { h = (g - b) / d } else if hi == g { h = (b - r) / d + 2 } else { h = (r - g) / d + 4 }
        h *= 60
        return h < 0 ? h + 360 : h
    }

    func luminance(_ c: RGB) -> Double { 0.2126 * Double(c.r) + 0.7152 * Double(c.g) + 0.0722 * Double(c.b) }

    func testEndpoints() {
        XCTAssertEqual(Colormap.jet.color(0), RGB(0, 0, 128))
        XCTAssertEqual(Colormap.jet.color(0.5), RGB(128, 255, 128))
        XCTAssertEqual(Colormap.jet.color(1), RGB(128, 0, 0))
        XCTAssertEqual(Colormap.gray.color(0), .black)
        XCTAssertEqual(Colormap.gray.color(1), .white)
        // matplotlib's viridis: (68, 1, 84) at 0, (253, 231, 37) at 1; the fit is within a few levels.
        func close(_ a: RGB, _ b: RGB, _ tol: Int) -> Bool {
            abs(Int(a.r) - Int(b.r)) <= tol && abs(Int(a.g) - Int(b.g)) <= tol && abs(Int(a.b) - Int(b.b)) <= tol
        }
        XCTAssertTrue(close(Colormap.viridis.color(0), RGB(68, 1, 84), 4), "\(Colormap.viridis.color(0))")
        XCTAssertTrue(close(Colormap.viridis.color(1), RGB(253, 231, 37), 4), "\(Colormap.viridis.color(1))")
        // Turbo: dark at both ends, red-dominated at the top, bright green-yellow in the middle.
        let t0 = Colormap.turbo.color(0), t1 = Colormap.turbo.color(1), mid = Colormap.turbo.color(0.5)
        XCTAssertLessThan(luminance(t0), 60)
        XCTAssertGreaterThan(t1.r, t1.g); XCTAssertGreaterThan(t1.r, t1.b)
        XCTAssertGreaterThan(luminance(mid), 150)
    }

    func testOutOfRangeAndNaNAreClamped() {
        for map in Colormap.allCases {
            XCTAssertEqual(map.color(-3), map.color(0), "\(map)")
            XCTAssertEqual(map.color(.nan), map.color(0), "\(map)")
            XCTAssertEqual(map.color(7), map.color(1), "\(map)")
            XCTAssertEqual(map.lookupTable().count, 256)
            XCTAssertEqual(map.lookupTable()[255], map.color(1))
        }
    }

    func testMonotoneOrdering() {
        let samples = (0...200).map { Float($0) / 200 }
        // Jet and turbo sweep the hue from blue (cold) to red (hot) without turning back.
        for map in [Colormap.jet, .turbo] {
            let hues = samples.filter { $0 >= 0.12 }.map { hue(map.color($0)) }
            for (a, b) in zip(hues, hues.dropFirst()) {
                XCTAssertLessThanOrEqual(b, a + 2, "\(map) hue goes back from \(a) to \(b)")
            }
            XCTAssertGreaterThan(hues.first!, 200)
            XCTAssertLessThan(hues.last!, 20)
        }
        // Viridis and gray get lighter all the way.
        for map in [Colormap.viridis, .gray] {
            let l = samples.map { luminance(map.color($0)) }
            for (a, b) in zip(l, l.dropFirst()) { XCTAssertGreaterThan(b, a - 0.5, "\(map)") }
            XCTAssertGreaterThan(l.last! - l.first!, 150)
        }
    }
}
