import XCTest
@testable import Explanation

final class LocalisationScoreTests: XCTestCase {
    let box = ImageBox(rows: 1..<3, cols: 1..<3)

    func testEnergyAndPointingOnHandMadeMaps() {
        // 4x4 map, the box is the middle 2x2.
        let map: [Float] = [0, 0, 0, 0,
                            0, 3, 1, 0,
                            0, 0, 0, 0,
                            0, 0, 0, 4]
        XCTAssertEqual(LocalisationScore.energy(map, width: 4, height: 4, box: box), 0.5)
        XCTAssertEqual(LocalisationScore.pointing(map, width: 4, height: 4, box: box), 0)
        var tied = map
        tied[15] = 3
        tied[5] = 4
        XCTAssertEqual(LocalisationScore.pointing(tied, width: 4, height: 4, box: box), 1)
        tied[15] = 4
        XCTAssertEqual(LocalisationScore.pointing(tied, width: 4, height: 4, box: box), 0.5, "two tied maxima, one inside")
        // An empty map says nothing: it scores the box's area share, like a uniform map.
        let empty = [Float](repeating: 0, count: 16), uniform = [Float](repeating: 2, count: 16)
        XCTAssertEqual(LocalisationScore.energy(empty, width: 4, height: 4, box: box), 0.25)
        XCTAssertEqual(LocalisationScore.pointing(empty, width: 4, height: 4, box: box), 0.25)
        XCTAssertEqual(LocalisationScore.energy(uniform, width: 4, height: 4, box: box), 0.25)
        XCTAssertEqual(LocalisationScore.pointing(uniform, width: 4, height: 4, box: box), 0.25)
    }

    func testBoxDilationClipsToTheImage() {
        XCTAssertEqual(ImageBox(rows: 0..<8, cols: 20..<28).dilated(by: 4, width: 32, height: 32), ImageBox(rows: 0..<12, cols: 16..<32))
        XCTAssertEqual(ImageBox(rows: 0..<12, cols: 16..<32).areaShare(width: 32, height: 32), 12.0 * 16 / 1024)
    }

    func testSpearman() {
        XCTAssertEqual(RankCorrelation.spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1, accuracy: 1e-12)
        XCTAssertEqual(RankCorrelation.spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1, accuracy: 1e-12)
        XCTAssertEqual(RankCorrelation.spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1, accuracy: 1e-12, "monotone, not linear")
        XCTAssertEqual(RankCorrelation.spearman([0, 0, 0], [1, 2, 3]), 0, "a constant map orders nothing")
        // Ties take their mean rank: ranks (1.5, 1.5, 3) against (1, 2, 3): r = 0.866...
        XCTAssertEqual(RankCorrelation.spearman([5, 5, 7], [1, 2, 3]), 3.0.squareRoot() / 2, accuracy: 1e-12)
    }

    func testScales() {
        let maps: [[Float]] = [[0, 1, 2], [0, 0, 0], [4, 0, 1]]
        XCTAssertEqual(HeatmapScale.perImage.tops(of: maps), [2, 0, 4])
        XCTAssertEqual(HeatmapScale.fixed.tops(of: maps), [4, 4, 4])
        XCTAssertEqual(HeatmapScale.normalise([0, 1, 2], top: 4), [0, 0.25, 0.5])
        XCTAssertEqual(HeatmapScale.normalise([0, 0, 0], top: 0), [0, 0, 0])
        XCTAssertEqual(HeatmapScale.normalise([.nan, 8, -1], top: 4), [0, 1, 0])
    }
}
