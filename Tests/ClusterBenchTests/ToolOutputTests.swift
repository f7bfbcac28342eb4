import ClusterBench
@testable import Coordination
import Foundation
import XCTest

/// What the benchmark reads from ip, tc, `cifake bench train` and the step log.
final class ToolOutputTests: XCTestCase {
    func testEveryHostsCountersComeFromItsSwitchPortTheOtherWayRound() throws {
        // iproute2 6.1's `ip -n SWITCH -s -j link show` (shortened): the bridge and two ports.
        let json = """
            [{"ifindex":2,"ifname":"br0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue",\
            "stats64":{"rx":{"bytes":5,"packets":1},"tx":{"bytes":6,"packets":1}}},\
            {"ifindex":3,"link_index":2,"ifname":"p0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"tbf",\
            "master":"br0","link_netnsid":1,"stats64":{"rx":{"bytes":75912345678,"packets":52311,"errors":0,"dropped":0,\
            "over_errors":0,"multicast":0},"tx":{"bytes":1000,"packets":50123,"errors":0,"dropped":0,"carrier_errors":0,"collisions":0}}},\
            {"ifindex":4,"link_index":2,"ifname":"p1","stats64":{"rx":{"bytes":20},"tx":{"bytes":10}}}]

            """
        let ports = try LinkCounters.byInterface(ipJSON: json)
        XCTAssertEqual(Set(ports.keys), ["br0", "p0", "p1"])
        let hosts = try HostLayout(owner: 1, hosts: 2).hostCounters(fromSwitchPorts: ports)
        XCTAssertEqual(hosts, [LinkCounters(rxBytes: 1000, txBytes: 75_912_345_678), LinkCounters(rxBytes: 10, txBytes: 20)],
                       "what the switch's port received, its host sent")
        XCTAssertEqual(hosts[0].since(LinkCounters(rxBytes: 400, txBytes: 912_345_678)), LinkCounters(rxBytes: 600, txBytes: 75_000_000_000))
        XCTAssertThrowsError(try HostLayout(owner: 1, hosts: 3).hostCounters(fromSwitchPorts: ports)) { error in
            XCTAssertTrue("\(error)".contains("expected port p2"), "\(error)")
        }
    }

    func testLinkCountersRefuseWhatIsNotAListOfLinksWithStatistics() {
        XCTAssertThrowsError(try LinkCounters.byInterface(ipJSON: "Cannot open network namespace")) { error in
            XCTAssertTrue("\(error)".contains("expected a JSON array of links"), "\(error)")
        }
        XCTAssertThrowsError(try LinkCounters.byInterface(ipJSON: #"[{"ifname":"p0"}]"#)) { error in
            XCTAssertTrue("\(error)".contains("p0 without"), "\(error)")
        }
    }

    func testBenchmarkNamespacesAreFoundWithTheirOwnersAndOthersLeftAlone() throws {
        let layout = try HostLayout(owner: 4242, hosts: 3)
        XCTAssertEqual(layout.namespaces, ["cifake-bench-4242-sw", "cifake-bench-4242-h0", "cifake-bench-4242-h1", "cifake-bench-4242-h2"])
        XCTAssertEqual(layout.address(ofHost: 2), "10.78.0.3")
        let listed = (layout.namespaces.map { "\($0) (id: 7)" } + ["cfk-h0", "cifake-1234-w0", "cifake-bench-x-h0", "cifake-bench-17-h0"])
            .joined(separator: "\n") + "\n"
        let found = HostLayout.benchmarkNamespaces(inNetnsList: listed)
        XCTAssertEqual(found.map(\.name), layout.namespaces + ["cifake-bench-17-h0"])
        XCTAssertEqual(found.map(\.owner), [4242, 4242, 4242, 4242, 17])
        XCTAssertThrowsError(try HostLayout(owner: 1, hosts: 1), "a coordinator alone is no cluster")
    }

    func testCPUSecondsAreUserPlusSystemTimeAfterTheCommandName() throws {
        // A command name with spaces and a parenthesis: fields are counted after the last ')'.
        let line = "4242 (cifake (w 1)) S 1 4242 4242 0 -1 4194560 2345 0 0 0 1234 566 0 0 20 0 9 0 1000 1000000 500 18446744073709551615\n"
        XCTAssertEqual(try CounterSample.cpuSeconds(procStat: line, ticksPerSecond: 100), 18.0, accuracy: 1e-12)
        XCTAssertThrowsError(try CounterSample.cpuSeconds(procStat: "4242 (cifake) S 1", ticksPerSecond: 100))
    }

    func testTheSingleProcessRateIsBenchTrainsMedian() throws {
        let output = """
            model: CNN2D (D=4096), 9447681 parameters, batch 128, 1 threads
            kernels: OpenBLAS; 1 lanes
            images/s: median 812 (windows: 800, 812, 815, 790, 820)
            work: 81.2 MFLOP per image -> 65.9 GFLOP/s achieved; sgemm peak measured now 90.1 GFLOP/s (73%)
            """
        XCTAssertEqual(try SingleProcessRate.parse(benchTrainOutput: output), 812)
        XCTAssertThrowsError(try SingleProcessRate.parse(benchTrainOutput: "model: ...\n"))
        XCTAssertThrowsError(try SingleProcessRate.parse(benchTrainOutput: "images/s: median nan (windows: )"))
    }

    func testRatesReadInTcsDecimalUnits() {
        XCTAssertEqual(LinkShaping.bitsPerSecond("1gbit"), 1e9)
        XCTAssertEqual(LinkShaping.bitsPerSecond("100mbit"), 1e8)
        XCTAssertEqual(LinkShaping.bitsPerSecond("2.5Gbit"), 2.5e9)
        XCTAssertEqual(LinkShaping.bitsPerSecond("10mbps"), 8e7, "bps is bytes per second in tc")
        for bad in ["none", "fast", "gbit", "-1gbit", "1 gbit", ""] { XCTAssertNil(LinkShaping.bitsPerSecond(bad), bad) }
        XCTAssertEqual(LinkShaping.tokenBucket(rate: "1gbit").qdisc, ["tbf", "rate", "1gbit", "burst", "1mb", "latency", "100ms"])
        XCTAssertNil(LinkShaping.unshaped.qdisc)
    }

    func testTheStepLogIsReadInWholeLinesAsTheyArrive() throws {
        let entry = StepLogEntry(summary: StepSummary(generation: 1, step: 3, epoch: 0, meanLoss: 0.7, meanAccuracy: 0.5, samples: 64,
                                                      imagesPerSecond: 100, perRank: [], slowestRank: 0), time: 5)
        let line = try JSONEncoder().encode(entry) + Data("\n".utf8)
        var tail = StepLogTail()
        let cut = line.count / 2
        XCTAssertEqual(try tail.feed(line.prefix(cut)), [], "half a line is not an entry yet")
        XCTAssertEqual(try tail.feed(line.dropFirst(cut) + line), [entry, entry])
        XCTAssertThrowsError(try tail.feed(Data("{\"step\":\n".utf8))) { error in
            XCTAssertTrue("\(error)".contains("step log line 3"), "\(error)")
        }
    }
}
