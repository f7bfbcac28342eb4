import Checkpoints
import Foundation
import Model
import Storage
import TestSupport
import XCTest

/// The model file is real safetensors: Python's `safetensors` package reads every tensor with
/// our names, shapes and values. (.ci/run installs the package from PyPI.)
final class SafetensorsInteropTests: XCTestCase {
    func testPythonSafetensorsReadsOurModelFile() throws {
        let probe = try runProcess("/usr/bin/env", ["python3", "-c", "import safetensors.numpy"])
        guard probe.status == 0 else { throw MissingRequirement.unavailable("Python's safetensors package is not installed: \(probe.stderr)") }
        let network = Network(architecture: .cnn2d(dense: 8), maxBatch: 1)
        network.initialize(seed: 4)
        let path = Paths.temporaryFolder("safetensors") + "/model.safetensors"
        try AtomicFile.write(network.modelFileBytes(metadata: ["note": "interop test"]), to: path)
        let script = """
            import json, sys
            from safetensors.numpy import load_file
            from safetensors import safe_open
            tensors = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="numpy") as f:
                metadata = f.metadata()
            print(json.dumps({"metadata": metadata, "tensors": {k: {"shape": list(v.shape), "dtype": str(v.dtype),
                  "sum": float(v.astype("float64").sum()), "first": float(v.reshape(-1)[0])} for k, v in tensors.items()}}))
            """
        let result = try runProcess("/usr/bin/env", ["python3", "-c", script, path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let metadata = object["metadata"] as! [String: String]
        XCTAssertEqual(metadata["model"], "cnn2d")
        XCTAssertEqual(metadata["dense"], "8")
        XCTAssertEqual(metadata["note"], "interop test")
        let tensors = object["tensors"] as! [String: [String: Any]]
        XCTAssertEqual(Set(tensors.keys), Set(network.layout.tensors.map(\.name)))
        for spec in network.layout.tensors {
            let t = tensors[spec.name]!
            XCTAssertEqual(t["shape"] as? [Int], spec.shape, spec.name)
            XCTAssertEqual(t["dtype"] as? String, "float32", spec.name)
            let values = network.parameters.array[spec.range]
            XCTAssertEqual(t["first"] as! Double, Double(values.first!), accuracy: 1e-12, spec.name)
            XCTAssertEqual(t["sum"] as! Double, values.reduce(0.0) { $0 + Double($1) }, accuracy: 1e-9, spec.name)
        }
    }

    /// A checkpoint is a safetensors file too: Python reads the weights under the model's names,
    /// Adam's moments under adam.m/ and adam.v/, and the resume state in the metadata.
    func testPythonSafetensorsReadsOurCheckpoint() throws {
        let probe = try runProcess("/usr/bin/env", ["python3", "-c", "import safetensors.numpy"])
        guard probe.status == 0 else { throw MissingRequirement.unavailable("Python's safetensors package is not installed: \(probe.stderr)") }
        let network = Network(architecture: .cnn2d(dense: 8), maxBatch: 1)
        network.initialize(seed: 5)
        let adam = Adam(parameterCount: network.layout.count)
        for i in 0..<adam.m.count { adam.m.pointer[i] = Float(i % 7); adam.v.pointer[i] = Float(i % 3) }
        adam.step = 42
        let checkpoint = Checkpoint(network: network, adam: adam, state: TrainingState(step: 42, stepsPerEpoch: 10, adamStep: 42, seed: 1,
                                                                                     worldSize: 2, configuration: "dense: 8\n"))
        let path = Paths.temporaryFolder("safetensors-checkpoint") + "/step-00000042.safetensors"
        try AtomicFile.write(checkpoint.encode(), to: path)
        let script = """
            import json, sys
            from safetensors.numpy import load_file
            from safetensors import safe_open
            t = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="numpy") as f:
                m = f.metadata()
            print(json.dumps({"keys": sorted(t.keys()), "step": m["step"], "epoch": m["epoch"], "step_in_epoch": m["step_in_epoch"],
                              "config": m["config"], "m_sum": float(sum(v.astype("float64").sum() for k, v in t.items() if k.startswith("adam.m/"))),
                              "w_first": float(t["conv1.kernel"].reshape(-1)[0])}))
            """
        let result = try runProcess("/usr/bin/env", ["python3", "-c", script, path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let names = network.layout.tensors.map(\.name)
        XCTAssertEqual(Set(object["keys"] as! [String]), Set(names + names.map { "adam.m/\($0)" } + names.map { "adam.v/\($0)" }))
        XCTAssertEqual(object["step"] as? String, "42")
        XCTAssertEqual(object["epoch"] as? String, "4")
        XCTAssertEqual(object["step_in_epoch"] as? String, "2")
        XCTAssertEqual(object["config"] as? String, "dense: 8\n")
        XCTAssertEqual(object["m_sum"] as! Double, adam.m.array.reduce(0.0) { $0 + Double($1) }, accuracy: 1e-6)
        XCTAssertEqual(object["w_first"] as! Double, Double(network.parameters.pointer[network.layout.tensors.first { $0.name == "conv1.kernel" }!.offset]),
                       accuracy: 1e-12)
    }
}
