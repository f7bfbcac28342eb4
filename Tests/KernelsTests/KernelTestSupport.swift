import Kernels
import Randomness
import XCTest

func randomBuffer(_ count: Int, seed: UInt64, scale: Float = 1) -> FloatBuffer {
    var rng = SplitMix64(seed: seed)
    let b = FloatBuffer(count: count)
    for i in 0..<count { b.pointer[i] = (rng.nextUnitFloat() * 2 - 1) * scale }
    return b
}

func assertClose(_ a: FloatBuffer, _ b: FloatBuffer, tolerance: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    var worst: Float = 0, at = 0
    for i in 0..<a.count {
        let diff = abs(a.pointer[i] - b.pointer[i]) / max(1, abs(b.pointer[i]))
        if diff > worst { worst = diff; at = i }
    }
    XCTAssertLessThanOrEqual(worst, tolerance, "\(what): worst relative error \(worst) at \(at) (\(a.pointer[at]) vs \(b.pointer[at]))", file: file, line: line)
}
