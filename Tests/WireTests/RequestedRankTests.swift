import XCTest
import Coordination
@testable import Wire

final class RequestedRankTests: XCTestCase {
    private func join(rank: Int?) -> JoinRequest {
        JoinRequest(role: .worker, version: "v", configDigest: "c", architectureDigest: "a", parameterCount: 1, dataDigest: "d",
                    host: "h", ringEndpoint: "tcp://h:1", computeThreads: 1, nodeID: "n", incarnation: 1, requestedRank: rank)
    }

    func testRequestedRankRoundTripsAndIsBoundedByTheRingSize() throws {
        for rank in [nil, 0, 7, WireCodec.maximumRingSize - 1] {
            let (_, decoded) = try WireCodec.decode(try WireCodec.encode(.join(join(rank: rank))))
            XCTAssertEqual(decoded, .join(join(rank: rank)))
        }
        XCTAssertThrowsError(try WireCodec.encode(.join(join(rank: WireCodec.maximumRingSize)))) {
            XCTAssertEqual($0 as? WireError, .lengthOutOfRange(field: "join.requestedRank", found: 1024, maximum: 1023))
        }
        // A decoder meets the same bound: the last four bytes are the rank.
        var frame = try WireCodec.encode(.join(join(rank: 5)))
        frame.replaceSubrange(frame.count - 4 ..< frame.count, with: [0x00, 0x04, 0x00, 0x00])
        XCTAssertThrowsError(try WireCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .lengthOutOfRange(field: "join.requestedRank", found: 1024, maximum: 1023))
        }
    }
}
