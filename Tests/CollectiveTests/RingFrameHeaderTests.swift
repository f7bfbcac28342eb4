import Collective
import XCTest

final class RingFrameHeaderTests: XCTestCase {
    private let header = RingFrameHeader(generation: 0x0102_0304_0506_0708, step: 77, phase: .allGather, ringStep: 5,
                                         chunk: 3, elementOffset: 1 << 33, elementCount: 250)

    func testRoundTrip() throws {
        let bytes = header.encoded()
        XCTAssertEqual(bytes.count, RingFrameHeader.byteCount)
        XCTAssertEqual(Array(bytes[0..<4]), [0x52, 0x4E, 0x47, 0x31]) // "RNG1", little-endian
        XCTAssertEqual(try RingFrameHeader.decode(bytes, payloadByteCount: 1000), header)
    }

    func testRejectsBadMagic() {
        var bytes = header.encoded()
        bytes[0] ^= 0xFF
        XCTAssertThrowsError(try RingFrameHeader.decode(bytes, payloadByteCount: 1000)) { error in
            guard case .badMagic(let expected, _)? = error as? RingFrameError else { return XCTFail("\(error)") }
            XCTAssertEqual(expected, RingFrameHeader.magic)
        }
    }

    func testRejectsOtherVersion() {
        var bytes = header.encoded()
        bytes[4] = 2
        XCTAssertThrowsError(try RingFrameHeader.decode(bytes, payloadByteCount: 1000)) { error in
            XCTAssertEqual(error as? RingFrameError, .unsupportedVersion(expected: 1, found: 2))
        }
    }

    func testRejectsBadPhase() {
        var bytes = header.encoded()
        bytes[6] = 9
        XCTAssertThrowsError(try RingFrameHeader.decode(bytes, payloadByteCount: 1000)) { error in
            XCTAssertEqual(error as? RingFrameError, .badPhase(found: 9))
        }
    }

    func testRejectsBadLengths() {
        let bytes = header.encoded()
        XCTAssertThrowsError(try RingFrameHeader.decode(Array(bytes.dropLast()), payloadByteCount: 1000)) { error in
            XCTAssertEqual(error as? RingFrameError, .badLength(field: "header", expected: 40, found: 39))
        }
        XCTAssertThrowsError(try RingFrameHeader.decode(bytes, payloadByteCount: 996)) { error in
            XCTAssertEqual(error as? RingFrameError, .badLength(field: "payload", expected: 1000, found: 996))
        }
    }
}
