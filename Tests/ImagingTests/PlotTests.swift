import XCTest
@testable import Imaging

final class PlotTests: XCTestCase {
    func testTicks() {
        let t = AxisTicks.niceRange(0, 1)
        XCTAssertEqual(t.range, 0...1)
        XCTAssertEqual(t.step, 0.2, accuracy: 1e-12)
        XCTAssertEqual(t.ticks.map { AxisTicks.label($0, step: t.step) }, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let loss = AxisTicks.niceRange(0.137, 0.693)
        XCTAssertEqual(loss.step, 0.1, accuracy: 1e-12)
        XCTAssertEqual(loss.range.lowerBound, 0.1, accuracy: 1e-12)
        XCTAssertEqual(loss.range.upperBound, 0.7, accuracy: 1e-12)
        XCTAssertEqual(AxisTicks.label(150, step: 50), "150")
        XCTAssertEqual(AxisTicks.label(-1e-17, step: 0.05), "0.00")
        XCTAssertEqual(AxisTicks.niceRange(3, 3).ticks.count > 1, true)  // degenerate range widened
        XCTAssertEqual(AxisTicks.niceStep(0.2), 0.2, accuracy: 1e-15)
        XCTAssertEqual(AxisTicks.niceStep(0.21), 0.5, accuracy: 1e-15)
        XCTAssertEqual(AxisTicks.niceStep(0.21, rounded: true), 0.2, accuracy: 1e-15)
        XCTAssertEqual(AxisTicks.niceStep(0.35, rounded: true), 0.5, accuracy: 1e-15)
    }

    func testSeriesPointLandsAtExpectedPixelAndStaysInArea() {
        let series = LinePlot.Series(name: "train", x: [0, 5, 10], y: [0, 5, 10], color: .red, thickness: 1)
        let plot = LinePlot(title: "Loss", xLabel: "epoch", yLabel: "loss", series: [series],
                            xRange: 0...10, yRange: 0...10, legend: .none)
        let image = plot.render(width: 640, height: 480)
        let layout = plot.layout(width: 640, height: 480)
        XCTAssertEqual(image.width, 640); XCTAssertEqual(image.height, 480)
        XCTAssertTrue(layout.area.intersection(image.bounds) == layout.area)
        XCTAssertGreaterThan(layout.area.width, 400); XCTAssertGreaterThan(layout.area.height, 300)
        // Range ends map to the area's corners.
        XCTAssertTrue(layout.pixel(x: 0, y: 0) == (layout.area.x, layout.area.maxY - 1))
        XCTAssertTrue(layout.pixel(x: 10, y: 10) == (layout.area.maxX - 1, layout.area.y))
        let mid = layout.pixel(x: 5, y: 5)
        XCTAssertEqual(image[mid.x, mid.y], .red)
        let q = layout.pixel(x: 2.5, y: 2.5)
        XCTAssertEqual(image[q.x, q.y], .red)
        XCTAssertNotEqual(image[q.x, q.y - 20], .red)
        // No red outside the plotting area.
        for y in 0..<480 { for x in 0..<640 where image[x, y] == .red {
            XCTAssertTrue(layout.area.contains(x: x, y: y), "red at (\(x), \(y)) outside \(layout.area)")
        } }
    }

    func testOutliersAndBadValuesAreClippedNotDrawnOutside() {
        let wild = LinePlot.Series(name: "wild", x: [0, 1, 2, 3, 4], y: [0.5, 1e300, .nan, -1e12, 0.5], color: .green, markers: true)
        let plot = LinePlot(title: "t", series: [wild], yRange: 0...1, legend: .none)
        let image = plot.render(width: 320, height: 240)
        let layout = plot.layout(width: 320, height: 240)
        var green = 0
        for y in 0..<240 { for x in 0..<320 where image[x, y] == .green {
            green += 1
            XCTAssertTrue(layout.area.contains(x: x, y: y))
        } }
        XCTAssertGreaterThan(green, 20)
    }

    func testAutoRangeLegendAndText() {
        let plot = LinePlot.perEpoch([("train", [0.69, 0.41, 0.3, 0.22]), ("validation", [0.6, 0.45, 0.38, 0.36])],
                                     title: "Loss per epoch")
        let layout = plot.layout(width: 640, height: 480)
        XCTAssertEqual(layout.xRange, 1...4)
        XCTAssertLessThanOrEqual(layout.yRange.lowerBound, 0.22)
        XCTAssertGreaterThanOrEqual(layout.yRange.upperBound, 0.69)
        XCTAssertEqual(layout.textScale, 2)
        let image = plot.render(width: 640, height: 480)
        // Legend swatches of both colours in the top-right corner of the area.
        let corner = PixelRect(x: layout.area.maxX - 200, y: layout.area.y, width: 200, height: 60)
        var colours = Set<RGB>()
        for y in corner.y..<corner.maxY { for x in corner.x..<corner.maxX { colours.insert(image[x, y]) } }
        XCTAssertTrue(colours.contains(RGB.palette[0]) && colours.contains(RGB.palette[1]))
        // Title ink above the area, tick label ink left of it.
        var titleInk = 0, tickInk = 0
        for y in 0..<layout.area.y - 2 { for x in 0..<640 where image[x, y] == .black { titleInk += 1 } }
        for y in layout.area.y..<layout.area.maxY { for x in 0..<(layout.area.x - 10) where image[x, y] == .black { tickInk += 1 } }
        XCTAssertGreaterThan(titleInk, 50); XCTAssertGreaterThan(tickInk, 100)
    }

    func testROCPlotHasDiagonal() {
        let plot = LinePlot.roc(fpr: [0, 0.1, 1], tpr: [0, 0.9, 1], auc: 0.9)
        XCTAssertEqual(plot.series[0].name, "ROC (AUC = 0.9000)")
        let image = plot.render(width: 640, height: 480)
        let l = plot.layout(width: 640, height: 480)
        let roc = l.pixel(x: 0.1, y: 0.9)
        XCTAssertEqual(image[roc.x, roc.y], .blue)
        // The dashed diagonal: some gray pixels exactly on y = x.
        var onDiagonal = 0
        for k in 1..<100 {
            let p = l.pixel(x: Double(k) / 100, y: Double(k) / 100)
            if image[p.x, p.y] == .gray { onDiagonal += 1 }
        }
        XCTAssertGreaterThan(onDiagonal, 20)
        XCTAssertLessThan(onDiagonal, 99)  // dashed
    }

    func testConfusionMatrixShading() {
        let m = ConfusionMatrixImage(counts: [[9400, 600], [400, 9600]])
        let image = m.render(width: 480, height: 480)
        let tp = m.cellRect(row: 1, column: 1, width: 480, height: 480)
        let fp = m.cellRect(row: 0, column: 1, width: 480, height: 480)
        XCTAssertEqual(image[tp.x + 3, tp.y + 3], ConfusionMatrixImage.darkest)
        let light = image[fp.x + 3, fp.y + 3]
        XCTAssertGreaterThan(Int(light.r), 200)  // 600 / 9600 of the way to dark blue
        XCTAssertTrue(tp.intersection(image.bounds) == tp)
        // Counts are written: white ink in the dark cell, black in the light one.
        func count(_ c: RGB, in r: PixelRect) -> Int {
            var n = 0
            for y in r.y..<r.maxY { for x in r.x..<r.maxX where image[x, y] == c { n += 1 } }
            return n
        }
        XCTAssertGreaterThan(count(.white, in: tp), 40)
        XCTAssertGreaterThan(count(.black, in: fp.insetBy(2)), 40)
        let zero = ConfusionMatrixImage(counts: [[0, 0], [0, 0]]).render(width: 240, height: 240)
        XCTAssertEqual(zero.width, 240)
    }

    func testEpochAxisHasWholeTicksAndTheKeptEpochLine() {
        var plot = LinePlot.perEpoch([("train", [0.7, 0.5, 0.4])], title: "Loss")
        plot.verticalLines = [LinePlot.VerticalLine(x: 2, name: "kept epoch 2", color: .purple, dash: 0)]
        plot.legend = .none
        let l = plot.layout(width: 640, height: 480)
        XCTAssertEqual(l.xStep, 1)
        XCTAssertEqual(l.xTicks, [1, 2, 3])
        let image = plot.render(width: 640, height: 480)
        let x = l.pixel(x: 2, y: 0).x
        var purple = 0
        for y in l.area.y..<l.area.maxY where image[x, y] == .purple { purple += 1 }
        XCTAssertGreaterThan(purple, l.area.height * 9 / 10, "the line spans the plotting area")
        plot.padding = 0.05
        let padded = plot.layout(width: 640, height: 480)
        XCTAssertEqual(padded.yTicks, l.yTicks, "padding keeps the ticks")
        XCTAssertEqual(padded.yRange.upperBound - l.yRange.upperBound, 0.05 * (l.yRange.upperBound - l.yRange.lowerBound), accuracy: 1e-12)
        XCTAssertLessThan(padded.xRange.lowerBound, 1)
        XCTAssertLessThan(padded.pixel(x: 3, y: 0.7).x, padded.area.maxX - 1, "the last epoch is off the frame")
        let one = LinePlot.perEpoch([("train", [0.7])], title: "Loss").layout(width: 640, height: 480)
        XCTAssertTrue(one.xTicks.allSatisfy { $0 == $0.rounded() } && !one.xTicks.isEmpty, "\(one.xTicks)")
    }
}
