import Explanation
import Foundation
import Model
import Training
import TestSupport
import Yams
import XCTest

final class ConfigLayersTests: XCTestCase {
    private func file(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "cifake-layers-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testEveryKeyHasItsVariable() {
        XCTAssertEqual(ConfigLayers.environmentVariable(for: "batch_size"), "CIFAKE_BATCH_SIZE")
        XCTAssertEqual(ConfigLayers.environmentVariable(for: "min_learning_rate_fraction"), "CIFAKE_MIN_LEARNING_RATE_FRACTION")
        // Each key's variable takes a value of the key's type.
        let values: [String: String] = [
            "model": "cnn2d-ext", "dense": "64", "conv1_filters": "48", "conv2_filters": "96", "epochs": "3", "batch_size": "256", "learning_rate": "0.0005",
            "schedule": "constant", "warmup_epochs": "1.5", "min_learning_rate_fraction": "0.1", "seed": "18446744073709551615",
            "threads": "4", "validation_fraction": "0.2", "augment_flip": "false", "augment_shift": "3",
            "dropout": "0.25", "early_stopping_patience": "2", "data": "/data/cifake: with colon # and hash", "test_data": "/data/test",
            "out": "runs/x", "bad_files": "fail", "wrong_size": "resize", "status_port": "9090", "stop_grace_seconds": "12.5",
            "checkpoint_every": "250", "keep_checkpoints": "5", "best_metric": "val_loss",
            "transport_security": "plain", "coordinator_public_key": "/k/c.key", "coordinator_secret_key": "/k/c.key_secret",
            "worker_public_key": "/k/w.key", "worker_secret_key": "/k/w.key_secret", "authorized_keys": "/k/authorized",
            "registry": "/var/lib/cifake/registry", "promotion_metric": "log_loss", "promotion_margin": "0.005",
            "evaluation_data": "/data/fixed-eval", "gradient_compression": "powersgd", "compression_rank": "8",
            "explain_method": "gradcam++", "explain_target": "real", "explain_scale": "fixed",
            "resume": "never",
        ]
        XCTAssertEqual(Set(values.keys), Set(TrainingConfig.keys), "a value for every key")
        let env = Dictionary(uniqueKeysWithValues: values.map { (ConfigLayers.environmentVariable(for: $0.key), $0.value) })
        let (config, warnings) = try! ConfigLayers.resolve(file: nil, environment: env)
        XCTAssertEqual(warnings, [])
        XCTAssertEqual(config.model, "cnn2d-ext")
        XCTAssertEqual(config.dense, 64)
        XCTAssertEqual(config.architecture, .cnn2dExtended(convolutions: ConvolutionWidths(first: 48, second: 96)))
        XCTAssertEqual(config.epochs, 3)
        XCTAssertEqual(config.dropout, 0.25)
        XCTAssertEqual(config.batchSize, 256)
        XCTAssertEqual(config.learningRate, 0.0005)
        XCTAssertEqual(config.schedule, "constant")
        XCTAssertEqual(config.gradientCompression, "powersgd")
        XCTAssertEqual(config.compressionRank, 8)
        XCTAssertEqual(config.warmupEpochs, 1.5)
        XCTAssertEqual(config.minLearningRateFraction, 0.1)
        XCTAssertEqual(config.seed, .max)
        XCTAssertEqual(config.checkpointEvery, 250)
        XCTAssertEqual(config.keepCheckpoints, 5)
        XCTAssertEqual(config.bestMetric, "val_loss")
        XCTAssertEqual(config.resume, "never")
        XCTAssertEqual(config.transportSecurity, "plain")
        XCTAssertEqual(config.authorizedKeys, "/k/authorized")
        XCTAssertEqual(config.threads, 4)
        XCTAssertEqual(config.validationFraction, 0.2)
        XCTAssertEqual(config.augmentFlip, false)
        XCTAssertEqual(config.augmentShift, 3)
        XCTAssertEqual(config.earlyStoppingPatience, 2)
        XCTAssertEqual(config.data, "/data/cifake: with colon # and hash")
        XCTAssertEqual(config.testData, "/data/test")
        XCTAssertEqual(config.out, "runs/x")
        XCTAssertEqual(config.badFiles, "fail")
        XCTAssertEqual(config.wrongSize, "resize")
        XCTAssertEqual(config.statusPort, 9090)
        XCTAssertEqual(config.stopGraceSeconds, 12.5)
        XCTAssertEqual(config.transportSecurity, "plain")
        XCTAssertEqual(config.workerSecretKey, "/k/w.key_secret")
        XCTAssertEqual(config.registry, "/var/lib/cifake/registry")
        XCTAssertEqual(config.promotionMetric, "log_loss")
        XCTAssertEqual(config.promotionMargin, 0.005)
        XCTAssertEqual(config.evaluationData, "/data/fixed-eval")
        XCTAssertEqual(config.explanation, ExplanationSettings(method: .gradCAMPlusPlus, target: .real, scale: .fixed))
    }

    func testFileThenEnvironmentThenFlags() throws {
        let path = try file("batch_size: 64\nepochs: 5\ndense: 128\n")
        let env = ["CIFAKE_BATCH_SIZE": "256", "CIFAKE_EPOCHS": "7", "CIFAKE_SEED": ""]
        var (config, _) = try ConfigLayers.resolve(file: path, environment: env)
        XCTAssertEqual(config.batchSize, 256, "the environment beats the file")
        XCTAssertEqual(config.epochs, 7)
        XCTAssertEqual(config.dense, 128, "the file beats the default")
        XCTAssertEqual(config.seed, 0, "an empty variable counts as unset")
        (config, _) = try ConfigLayers.resolve(file: path, environment: env,
                                                flags: [.flag("--batch", "batch_size", 32 as Int?), .flag("--seed", "seed", nil as UInt64?)])
        XCTAssertEqual(config.batchSize, 32, "a flag beats the environment")
        XCTAssertEqual(config.epochs, 7)
        // A value the file gets wrong is fine when a later layer replaces it.
        let bad = try file("batch_size: 0\n")
        XCTAssertEqual(try ConfigLayers.resolve(file: bad, environment: ["CIFAKE_BATCH_SIZE": "16"]).config.batchSize, 16)
    }

    func testBadValuesAreAllReportedNamingVariableAndType() throws {
        let path = try file("dense: -1\nbatch_sise: 3\n")
        let env = ["CIFAKE_BATCH_SIZE": "lots", "CIFAKE_LEARNING_RATE": "fast", "CIFAKE_AUGMENT_FLIP": "maybe",
                   "CIFAKE_EPOCHS": "0", "CIFAKE_SEED": "-3", "CIFAKE_THREADS": "2.5", "CIFAKE_DROPOUT": "1"]
        XCTAssertThrowsError(try ConfigLayers.resolve(file: path, environment: env, flags: [.flag("--model", "model", "vgg")])) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("configuration (\(path) < environment < command line) has 10 problems"), message)
            for expected in [
                "batch_sise: unknown key",
                "CIFAKE_BATCH_SIZE: found 'lots', expected an integer (for batch_size)",
                "CIFAKE_LEARNING_RATE: found 'fast', expected a number (for learning_rate)",
                "CIFAKE_AUGMENT_FLIP: found 'maybe', expected a boolean (true/false) (for augment_flip)",
                "CIFAKE_SEED: found '-3', expected an integer (for seed)",
                "CIFAKE_THREADS: found '2.5', expected an integer (for threads)",
                "epochs: found 0, expected 1...100000 (set by CIFAKE_EPOCHS)",
                "model: found 'vgg', expected 'cnn2d' or 'cnn2d-ext' (set by --model)",
                "dense: found -1, expected 1...65536",
                "dropout: found 1.0, expected a rate 0 <= rate < 1 (the paper's: 0.5; 0: off) (set by CIFAKE_DROPOUT)",
            ] {
                XCTAssertTrue(message.contains(expected), "missing '\(expected)' in:\n\(message)")
            }
        }
        // The file alone keeps its own name as the source, as ConfigFile.load does.
        XCTAssertThrowsError(try ConfigLayers.resolve(file: path, environment: [:])) {
            XCTAssertTrue("\($0)".hasPrefix("\(path) has 2 problems"), "\($0)")
        }
    }

    func testUnknownPrefixedVariablesAreWarnedAboutNotFatal() throws {
        let env = ["CIFAKE_BATCHSIZE": "64", "CIFAKE_COORDINATOR": "c:5555", "CIFAKE_RANK": "1", "PATH": "/bin"]
        let (config, warnings) = try ConfigLayers.resolve(file: nil, environment: env)
        XCTAssertEqual(config, TrainingConfig())
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].hasPrefix("CIFAKE_BATCHSIZE is set but"), warnings[0])
    }

    func testSchedulerRankAndWorkerCount() throws {
        XCTAssertEqual(try SchedulerEnvironment([:]), SchedulerEnvironment())
        var s = try SchedulerEnvironment(["SLURM_PROCID": "3", "SLURM_NTASKS": "4", "CIFAKE_COORDINATOR": "node-1:5555"])
        XCTAssertEqual(s.rank, 3)
        XCTAssertEqual(s.rankSource, "SLURM_PROCID")
        XCTAssertEqual(s.workers, 4)
        XCTAssertEqual(s.workersSource, "SLURM_NTASKS")
        XCTAssertEqual(s.coordinator, "node-1:5555")
        s = try SchedulerEnvironment(["JOB_COMPLETION_INDEX": "2", "CIFAKE_WORKERS": "3"])
        XCTAssertEqual(s.rank, 2)
        XCTAssertEqual(s.rankSource, "JOB_COMPLETION_INDEX")
        XCTAssertEqual(s.workersSource, "CIFAKE_WORKERS")
        // The explicit variables win over the scheduler's.
        s = try SchedulerEnvironment(["CIFAKE_RANK": "0", "SLURM_PROCID": "5", "JOB_COMPLETION_INDEX": "7",
                                      "CIFAKE_WORKERS": "8", "SLURM_NTASKS": "6"])
        XCTAssertEqual(s.rank, 0)
        XCTAssertEqual(s.rankSource, "CIFAKE_RANK")
        XCTAssertEqual(s.workers, 8)

        XCTAssertThrowsError(try SchedulerEnvironment(["CIFAKE_RANK": "-1", "SLURM_NTASKS": "zero", "CIFAKE_WORKERS": "0",
                                                       "CIFAKE_COORDINATOR": "no-port"])) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("environment has 4 problems"), message)
            XCTAssertTrue(message.contains("CIFAKE_RANK: found '-1', expected a rank, an integer in 0...1023"), message)
            XCTAssertTrue(message.contains("SLURM_NTASKS: found 'zero', expected a worker count in 1...1024"), message)
            XCTAssertTrue(message.contains("CIFAKE_WORKERS: found '0'"), message)
            XCTAssertTrue(message.contains("CIFAKE_COORDINATOR: found 'no-port', expected HOST:PORT"), message)
        }
        XCTAssertThrowsError(try SchedulerEnvironment(["SLURM_PROCID": "4", "SLURM_NTASKS": "4"])) {
            XCTAssertTrue("\($0)".contains("SLURM_PROCID: found 4, expected a rank below SLURM_NTASKS (4)"), "\($0)")
        }
    }
}

/// The deployment files speak the program's language: their configurations parse, and every
/// `CIFAKE_` variable they set is one cifake reads.
final class DeployConfigurationTests: XCTestCase {
    private let deploy = Paths.packageRoot.appendingPathComponent("Deploy")

    private func manifests() throws -> [Node] {
        let folder = deploy.appendingPathComponent("kubernetes")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted().flatMap {
            Array(try Yams.compose_all(yaml: String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)))
        }
    }

    func testConfigMapConfigurationsParse() throws {
        let configMaps = try manifests().filter { $0["kind"]?.string == "ConfigMap" }
        let files = configMaps.flatMap { $0["data"]?.mapping.map { Array($0) } ?? [] }
        XCTAssertEqual(Set(files.compactMap { $0.key.string }), ["config.yaml", "retrain.yaml"])
        for (name, text) in files {
            XCTAssertNoThrow(try ConfigFile.parse(text.string ?? "", source: "ConfigMap \(name.string ?? "")"))
        }
    }

    func testEveryVariableTheDeployFilesSetIsRead() throws {
        var names: [String] = []
        func collect(_ node: Node) {
            if let mapping = node.mapping {
                if let name = mapping["name"]?.string, mapping["value"] != nil || mapping["valueFrom"] != nil { names.append(name) }
                mapping.values.forEach(collect)
            } else if let sequence = node.sequence {
                sequence.forEach(collect)
            }
        }
        try manifests().forEach(collect)
        let env = try String(contentsOf: deploy.appendingPathComponent("systemd/cifake.env"), encoding: .utf8)
        names += env.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains("=") }.map { String($0.prefix { $0 != "=" }) }
        let ours = names.filter { $0.hasPrefix(ConfigLayers.environmentPrefix) }
        XCTAssertGreaterThanOrEqual(ours.count, 6)
        let environment = Dictionary(ours.map { ($0, "1") }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(ConfigLayers.environmentOverrides(environment).unknown, [], "variables cifake does not read")
    }
}
