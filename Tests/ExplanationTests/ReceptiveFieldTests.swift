import Kernels
import Model
import XCTest
@testable import Explanation

final class ReceptiveFieldTests: XCTestCase {
    func testGeometryOfTheLastConvolution() {
        let field = ReceptiveField.lastConvolution
        XCTAssertEqual(field, ReceptiveField(jump: 2, size: 8, start: 0))
        XCTAssertEqual(field.centre(0), 3.5)
        XCTAssertEqual(field.centre(12), 27.5)
    }

    /// The geometry against the network itself: changing input pixel (y, x) changes conv2's
    /// activations only in cells whose field holds it (rows i with 2i <= y < 2i + 8).
    func testFieldBoundsWhatAPixelCanChange() {
        let network = Network(architecture: .cnn2d(dense: 8), maxBatch: 1)
        network.initialize(seed: 5)
        let conv2 = network.plan.conv2, field = ReceptiveField(lastConvolutionOf: network.plan)
        let grid = (height: conv2.outputSide, width: conv2.outputSide, channels: conv2.filters)
        let image = FloatBuffer(count: 3072)
        for i in 0..<3072 { image.pointer[i] = Float((i * 37) % 101) / 100 }
        network.forward(input: image.pointer, batch: 1, dropout: nil)
        let before = Array(UnsafeBufferPointer(start: network.lastConvActivations, count: grid.height * grid.width * grid.channels))
        for (y, x) in [(0, 0), (15, 9), (31, 31), (7, 24)] {
            let original = (0..<3).map { image.pointer[(y * 32 + x) * 3 + $0] }
            for c in 0..<3 { image.pointer[(y * 32 + x) * 3 + c] = 1 - original[c] }
            network.forward(input: image.pointer, batch: 1, dropout: nil)
            var changed = 0
            for row in 0..<grid.height {
                for col in 0..<grid.width {
                    let inside = (field.jump * row..<field.jump * row + field.size).contains(y)
                        && (field.jump * col..<field.jump * col + field.size).contains(x)
                    for ch in 0..<grid.channels {
                        let k = (row * grid.width + col) * grid.channels + ch
                        if network.lastConvActivations[k] != before[k] {
                            changed += 1
                            XCTAssertTrue(inside, "pixel (\(y), \(x)) changed cell (\(row), \(col)) outside its field")
                        }
                    }
                }
            }
            XCTAssertGreaterThan(changed, 0, "pixel (\(y), \(x)) changes something")
            for c in 0..<3 { image.pointer[(y * 32 + x) * 3 + c] = original[c] }
        }
    }

    func testUpsamplePutsACellAtItsCentre() {
        let field = ReceptiveField.lastConvolution
        var delta = [Float](repeating: 0, count: 169)
        delta[6 * 13 + 6] = 1  // centre 15.5: pixels 15 and 16 share the peak
        let map = field.upsample(delta, width: 13, height: 13, toWidth: 32, toHeight: 32)
        XCTAssertEqual(map[15 * 32 + 15], 0.5625)  // 0.75 * 0.75: half a pixel from the centre each way
        XCTAssertEqual(map[16 * 32 + 16], 0.5625)
        XCTAssertEqual(map[15 * 32 + 16], map[16 * 32 + 15])
        XCTAssertEqual(map[13 * 32 + 15], 0, "two cells away")
        let constant = field.upsample([Float](repeating: 3, count: 169), width: 13, height: 13, toWidth: 32, toHeight: 32)
        XCTAssertEqual(Set(constant), [3])
        var corner = [Float](repeating: 0, count: 169)
        corner[0] = 1
        let edge = field.upsample(corner, width: 13, height: 13, toWidth: 32, toHeight: 32)
        XCTAssertEqual(edge[0], 1, "pixels before the first centre take the edge value")
        XCTAssertEqual(edge[3 * 32 + 3], 1)
        XCTAssertEqual(edge[4 * 32 + 4], 0.5625)
    }
}
