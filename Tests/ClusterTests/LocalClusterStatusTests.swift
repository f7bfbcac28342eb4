import Cluster
import XCTest

/// `train --workers N --status-listen HOST:PORT`: ports handed out from a base, as torchrun does.
final class LocalClusterStatusTests: XCTestCase {
    func testPortsFromABase() throws {
        let a = try XCTUnwrap(LocalCluster.statusAddresses(base: "0.0.0.0:9090", workers: 3))
        XCTAssertEqual(a.coordinator, "0.0.0.0:9090")
        XCTAssertEqual(a.workers, ["0.0.0.0:9091", "0.0.0.0:9092", "0.0.0.0:9093"])
        XCTAssertEqual(a.evaluator, "0.0.0.0:9094")
        // Port 0: each process its own free port.
        let any = try XCTUnwrap(LocalCluster.statusAddresses(base: "127.0.0.1:0", workers: 2))
        XCTAssertEqual([any.coordinator, any.evaluator] + any.workers, Array(repeating: "127.0.0.1:0", count: 4))
        XCTAssertEqual(LocalCluster.statusAddresses(base: "0.0.0.0:65533", workers: 2)?.evaluator, nil, "the evaluator's port would pass 65535")
        XCTAssertEqual(LocalCluster.statusAddresses(base: "0.0.0.0:65532", workers: 2)?.evaluator, "0.0.0.0:65535")
        XCTAssertNil(LocalCluster.statusAddresses(base: "9090", workers: 1))
        XCTAssertNil(LocalCluster.statusAddresses(base: "host:port", workers: 1))
    }
}
