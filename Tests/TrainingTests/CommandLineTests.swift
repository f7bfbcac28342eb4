import Foundation
import TestSupport
import XCTest

/// The commands a person runs, as real processes.
final class CommandLineTests: XCTestCase {
    func testTrainWritesARunFolderAndEvaluateReadsTheModel() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("train")
        let run = "\(folder)/run"
        let train = try runProcess(cifake, ["train", "--config", Paths.packageRoot.appendingPathComponent("Config/smoke.yaml").path,
                                            "--epochs", "2", "--out", run])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("SYNTHETIC"), "says clearly that the data is synthetic")
        XCTAssertTrue(train.stderr.contains("report: \(run)/report/index.html"), "logs where the report is")
        for file in ["config.yaml", "history.jsonl", "model.safetensors", "metrics.json", "report/index.html", "report/gradcam-16.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(run)/\(file)"), "run folder has \(file)")
        }
        let history = try String(contentsOfFile: "\(run)/history.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(history.count, 2)
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(run)/metrics.json"))) as! [String: Any]
        for key in ["accuracy", "precision", "recall", "f1", "per_class", "confusion_matrix", "roc_auc", "samples"] {
            XCTAssertNotNil(metrics[key], "metrics.json has \(key)")
        }
        XCTAssertEqual(metrics["samples"] as? Int, 500)
        XCTAssertGreaterThan(metrics["accuracy"] as? Double ?? 0, 0.8)

        let evaluate = try runProcess(cifake, ["evaluate", "--model", "\(run)/model.safetensors", "--data", "\(run)/synthetic-data", "--json"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let again = try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(again["accuracy"] as? Double, metrics["accuracy"] as? Double, "same model, same test split, same accuracy")

        // An existing model is never overwritten: another configuration is refused by key, the
        // same one finds its run finished.
        let refused = try runProcess(cifake, ["train", "--out", run, "--epochs", "1"])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("holds a run of a different configuration") && refused.stderr.contains("epochs: recorded '2', given '1'"),
                      refused.stderr)
        let same = try runProcess(cifake, ["train", "--config", Paths.packageRoot.appendingPathComponent("Config/smoke.yaml").path,
                                           "--epochs", "2", "--out", run])
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertTrue(same.stderr.contains("the run is already finished"), same.stderr)
    }

    func testBadConfigAndBadDataGiveClearErrors() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("errors")
        try "epochs: 0\nmodell: cnn2d\n".write(toFile: "\(folder)/bad.yaml", atomically: true, encoding: .utf8)
        let bad = try runProcess(cifake, ["train", "--config", "\(folder)/bad.yaml"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("modell: unknown key") && bad.stderr.contains("epochs: found 0"), bad.stderr)

        let missing = try runProcess(cifake, ["train", "--data", "\(folder)/nowhere", "--out", "\(folder)/run", "--epochs", "1"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("\(folder)/nowhere"), missing.stderr)

        let model = try runProcess(cifake, ["evaluate", "--model", "\(folder)/bad.yaml", "--data", folder])
        XCTAssertNotEqual(model.status, 0)
        XCTAssertTrue(model.stderr.contains("bad.yaml"), model.stderr)
    }

    /// Real CIFAKE images (../shared/data/cifake-sample), when present: one epoch on the
    /// 12,000-image train sample must already separate real from generated well.
    func testLearnsRealCIFAKESample() throws {
        let sample = Paths.shared.appendingPathComponent("data/cifake-sample")
        guard FileManager.default.fileExists(atPath: sample.appendingPathComponent("train").path) else {
            throw XCTSkip("../shared/data/cifake-sample is absent")
        }
        let cifake = try Paths.cifake()
        let run = Paths.temporaryFolder("cifake-sample") + "/run"
        let train = try runProcess(cifake, ["train", "--data", sample.appendingPathComponent("train").path, "--epochs", "2",
                                            "--out", run, "--batch", "32"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let evaluate = try runProcess(cifake, ["evaluate", "--model", "\(run)/model.safetensors",
                                               "--data", sample.appendingPathComponent("test").path, "--json"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let metrics = try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(metrics["samples"] as? Int, 2000)
        XCTAssertGreaterThan(metrics["accuracy"] as? Double ?? 0, 0.8)
        XCTAssertGreaterThan(metrics["roc_auc"] as? Double ?? 0, 0.88)
    }
}
