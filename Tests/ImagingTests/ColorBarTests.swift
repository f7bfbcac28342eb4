import XCTest
@testable import Imaging

final class ColorBarTests: XCTestCase {
    func testLabelsHaveThreeSignificantDigits() {
        XCTAssertEqual(ColorBar.labels(top: 1.63), ["0", "0.815", "1.63"])
        XCTAssertEqual(ColorBar.labels(top: 0), ["0", "0", "0"])
        XCTAssertEqual(ColorBar.format(123.4), "123")
        XCTAssertEqual(ColorBar.format(2.5e-5), "2.50e-05")
    }

    func testBarRunsFromTheBottomColourToTheTopColour() {
        let bar = ColorBar.render(height: 100, labels: ["0", "1"], textScale: 1)
        let pad = BitmapFont.glyphHeight / 2
        let table = Colormap.jet.lookupTable()  // the heatmaps' own colours, 256 levels
        XCTAssertEqual(bar[5, pad + 1], table[Heatmap.level(Float(98) / 99)], "near the top: the hottest colour")
        XCTAssertEqual(bar[5, pad + 98], table[Heatmap.level(Float(1) / 99)], "near the bottom: the coldest")
        XCTAssertGreaterThan(bar.width, 20, "labels beside the bar")
    }

    func testExplanationFigureAddsTheBarBesideThreePanels() {
        let image = Raster(width: 32, height: 32, color: .white)
        let figure = Heatmap.explanationFigure(image: image, heat: [Float](repeating: 0.5, count: 1024), barLabels: ["0", "1", "2"],
                                               captions: ["image", "map", "overlay"], factor: 8)
        let triptych = Heatmap.triptych(original: Heatmap.scaleNearest(image, factor: 8), heatmap: Heatmap.scaleNearest(image, factor: 8),
                                        overlay: Heatmap.scaleNearest(image, factor: 8), captions: ["image", "map", "overlay"], textScale: 2)
        XCTAssertGreaterThan(figure.width, triptych.width + 20)
    }
}
