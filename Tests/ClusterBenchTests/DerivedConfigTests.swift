import ClusterBench
import XCTest

final class DerivedConfigTests: XCTestCase {
    private let base = """
        # The paper's CNN2D
        model: cnn2d
        dense: 4096   # neurons
        batch_size: 128
        threads: 2
        authorized_keys:
          - old
          - older
        future_key: "kept as written"
        seed: 0

        """

    func testOverridesReplaceTheirKeysAndEverythingElseStays() {
        let yaml = DerivedConfig.yaml(base: base, overrides: [("batch_size", "256"), ("threads", "1"), ("authorized_keys", "/tmp/auth"),
                                                              ("gradient_compression", "bf16"), ("coordinator_secret_key", "")])
        let lines = yaml.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("batch_size:") }, ["batch_size: 256"])
        XCTAssertEqual(lines.filter { $0.hasPrefix("threads:") }, ["threads: 1"])
        XCTAssertEqual(lines.filter { $0.hasPrefix("authorized_keys:") }, ["authorized_keys: /tmp/auth"])
        XCTAssertFalse(yaml.contains("- old"), "a replaced key's block goes with it:\n\(yaml)")
        XCTAssertTrue(lines.contains("gradient_compression: bf16"), "a key this build may not know is written through")
        XCTAssertTrue(lines.contains(#"coordinator_secret_key: """#), "an empty value is quoted")
        for kept in ["# The paper's CNN2D", "model: cnn2d", "dense: 4096   # neurons", #"future_key: "kept as written""#, "seed: 0"] {
            XCTAssertTrue(lines.contains(kept), "\(kept) kept:\n\(yaml)")
        }
        XCTAssertEqual(lines.last, "coordinator_secret_key: \"\"")
    }

    func testValuesAreReadWithoutCommentsOrQuotes() {
        XCTAssertEqual(DerivedConfig.value(of: "dense", in: base), "4096")
        XCTAssertEqual(DerivedConfig.value(of: "model", in: base), "cnn2d")
        XCTAssertEqual(DerivedConfig.value(of: "future_key", in: base), "kept as written")
        XCTAssertNil(DerivedConfig.value(of: "epochs", in: base))
        XCTAssertNil(DerivedConfig.value(of: "old", in: base), "list items are no keys")
    }

    func testPathsWithSpacesAreQuoted() {
        let yaml = DerivedConfig.yaml(base: "", overrides: [("data", "/tmp/my data"), ("out", "/tmp/run-1")])
        XCTAssertTrue(yaml.contains(#"data: "/tmp/my data""#), yaml)
        XCTAssertTrue(yaml.contains("out: /tmp/run-1"), yaml)
        XCTAssertEqual(DerivedConfig.value(of: "data", in: yaml), "/tmp/my data")
    }
}
