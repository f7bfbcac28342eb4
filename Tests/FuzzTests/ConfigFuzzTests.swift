import Foundation
import Model
import TestSupport
@testable import Training
import XCTest

/// Mutated YAML configurations and environment values: a `ConfigError` or a configuration whose
/// every value is in range, fast, never a trap or an alias bomb's minutes.
final class ConfigFuzzTests: XCTestCase {
    static let tokens = [
        "a: &a [x, x, x, x, x, x, x, x, x, x]", "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]", "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
        "dense: *c", "epochs: *b", "<<: *a", "dense: 1000000", "epochs: 9223372036854775807", "batch_size: 99999999999999999999",
        "validation_fraction: .nan", "learning_rate: .inf", "warmup_epochs: -.inf", "seed: -1", "threads: 0", "dense: [[[[[[[[", "{a: {b: {c: {d:",
        "? [complex, key]", "dense: !!binary aGVsbG8=", "epochs: !!float nan", "- item", "'unterminated", "\"\\u0000\"", "%YAML 1.1", "---", "...",
        "&x", "*x", "data: &d /tmp", "out: *d", "model: cnn2d-ext", "\t", "dense: 0x10", "epochs: 1_000",
    ]

    private func assertInRange(_ config: TrainingConfig, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(config.problems(), [], file: file, line: line)
        XCTAssertNoThrow(try Architecture(model: config.model, dense: config.dense), file: file, line: line)
    }

    func testMutatedConfigurationsNeverTrapOrExplode() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Config")
        var samples = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
        samples.append(ConfigFile.yaml(TrainingConfig()))
        fuzz("config-yaml", seed: 0x7A31, iterations: 1500, secondsPerCase: 1) { _, m in
            let text = m.mutate(text: samples[m.index(samples.count)], tokens: Self.tokens)
            if let config = try? ConfigFile.parse(text, source: "fuzz.yaml") { assertInRange(config) }
        }
    }

    func testBoundaryValuesInEveryLayerAreRangeChecked() {
        let keys = TrainingConfig.keys
        fuzz("config-layers", seed: 0x1A7E, iterations: 1500) { _, m in
            let key = keys[m.index(keys.count)]
            let text = Mutator.textBoundaries[m.index(Mutator.textBoundaries.count)]
            let environment = [ConfigLayers.environmentVariable(for: key): text]
            if let (config, _) = try? ConfigLayers.resolve(file: nil, environment: environment) { assertInRange(config) }
            let flag = ConfigOverride(key: key, text: text, origin: "--\(key)")
            if let (config, _) = try? ConfigLayers.resolve(file: nil, environment: [:], flags: [flag]) { assertInRange(config) }
        }
    }
}
