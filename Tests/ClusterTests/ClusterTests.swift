import Foundation
import Model
import Storage
import TestSupport
import XCTest

/// Real coordinator and worker processes on 127.0.0.1, ports chosen at run time.
final class ClusterTests: XCTestCase {
    /// Global batch fixed, sample order from seed and epoch only: one worker retraces the single
    /// process bit for bit, and N workers follow it up to float rounding (sums are associated
    /// differently), over all 63 steps.
    func testTwoAndThreeWorkersMatchOneProcess() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("cluster-equal")
        let config = "\(folder)/run.yaml"
        // No validation hold-out: every run keeps its last weights, so the models compare step for
        // step. The exact ring: `auto` picks from a probe of the ring, and on a loaded machine it
        // chose PowerSGD for 3 workers, whose approximation is meant to differ.
        try """
            model: cnn2d
            dense: 32
            epochs: 1
            batch_size: 32
            schedule: cosine
            augment_flip: true
            augment_shift: 2
            validation_fraction: 0
            seed: 7
            threads: 1
            gradient_compression: none
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let solo = try runProcess(cifake, ["train", "--config", config, "--out", "\(folder)/solo"])
        XCTAssertEqual(solo.status, 0, solo.stderr)
        let reference = try weights("\(folder)/solo/model.safetensors")
        let referenceAccuracy = try accuracy("\(folder)/solo")
        let start = Network(architecture: try Architecture(model: "cnn2d", dense: 32), maxBatch: 1)
        start.initialize(seed: 7)
        let initial = start.parameters.array
        for workers in [1, 2, 3] {
            let run = "\(folder)/workers-\(workers)"
            let result = try runProcess(cifake, ["train", "--config", config, "--workers", "\(workers)", "--worker-threads", "1", "--out", run],
                                        environment: ["HOME": folder])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stderr.contains("finished after step 63"), result.stderr)
            XCTAssertFalse(result.stderr.contains("checksums differ"), "replicas stayed bitwise identical")
            if workers > 1 {
                let links = result.stderr.split(separator: "\n").filter { $0.contains("ring: sending to rank") }
                XCTAssertEqual(links.count, workers, result.stderr)
                XCTAssertTrue(links.allSatisfy { $0.contains("over a Unix socket (same host) at ipc://@cifake-ring-") },
                              "workers on one host use Unix sockets:\n\(links.joined(separator: "\n"))")
            }
            let w = try weights("\(run)/model.safetensors")
            XCTAssertEqual(w.count, reference.count)
            if workers == 1 {
                XCTAssertEqual(w, reference, "one worker is the single process, bit for bit")
                continue
            }
            // Sums associated in another order round differently, and over 63 Adam steps the
            // trajectories part where a rounding difference flips a tiny gradient's sign; how far
            // depends on the CPU's kernels, so the bound is relative to what training itself did:
            // the distance from the initial weights. A real fault (a shard lost or counted twice,
            // a wrong average, a segment not summed) moves the weights as far as training does.
            var sumDiff = 0.0, sumTravel = 0.0, strayed = 0
            for i in 0..<w.count {
                let d = Double(abs(w[i] - reference[i])), travel = Double(abs(reference[i] - initial[i]))
                sumDiff += d
                sumTravel += travel
                if d > travel { strayed += 1 }
            }
            let relative = sumDiff / sumTravel
            print("\(workers) workers: mean |w - w_solo| / mean |w_solo - w_0| = \(relative); \(strayed) of \(w.count) weights moved further from w_solo than w_solo from w_0")
            XCTAssertLessThan(relative, 0.1, "\(workers) workers: the weights part from the single process's by \(relative) of how far training moved them")
            XCTAssertLessThan(Double(strayed) / Double(w.count), 0.05, "\(workers) workers: \(strayed) weights differ from the single process's by more than training moved them")
            XCTAssertEqual(try accuracy(run), referenceAccuracy, accuracy: 0.03, "\(workers) workers reach the same test accuracy (500 test images: 0.03 is 15 of them)")
        }
    }

    /// Compressed rings (bf16 on the wire; PowerSGD on the dense kernel, 2304x32 at rank 4) keep
    /// every replica bitwise identical (the coordinator checks the weight checksums every 25 steps
    /// and consolidates a checkpoint only when all ranks agree) and learn what the single process
    /// learns; `auto` says what it chose and why.
    func testCompressedRingsKeepReplicasIdenticalAndLearn() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("cluster-compressed")
        func config(_ method: String) throws -> String {
            let path = "\(folder)/\(method).yaml"
            try "model: cnn2d\ndense: 32\nepochs: 3\nbatch_size: 32\nvalidation_fraction: 0\nseed: 7\nthreads: 1\ngradient_compression: \(method)\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let solo = try runProcess(cifake, ["train", "--config", try config("none"), "--out", "\(folder)/solo"])
        XCTAssertEqual(solo.status, 0, solo.stderr)
        let soloAccuracy = try accuracy("\(folder)/solo")
        for method in ["bf16", "powersgd", "auto"] {
            let run = "\(folder)/\(method)"
            let result = try runProcess(cifake, ["train", "--config", try config(method), "--workers", "2", "--worker-threads", "1", "--out", run],
                                        environment: ["HOME": folder])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertFalse(result.stderr.contains("checksums differ"), "\(method): replicas stayed bitwise identical")
            XCTAssertTrue(result.stderr.contains("(all ranks agree)"), "\(method): checkpoints consolidated on agreement:\n\(result.stderr)")
            let said = result.stderr.split(separator: "\n").filter { $0.contains(" worker rank=") && $0.contains("gradient_compression") }
            XCTAssertTrue(result.stderr.contains("the kept checkpoint was trained with gradient_compression"), result.stderr)
            XCTAssertEqual(said.count, 2, "\(method): each worker says which method its ring uses:\n\(result.stderr)")
            if method == "auto" {
                XCTAssertTrue(said.allSatisfy { $0.contains("auto -> ") && $0.contains("MB/s per link") && $0.contains("compute") }, said.joined(separator: "\n"))
            } else {
                XCTAssertTrue(said.allSatisfy { $0.contains("gradient_compression \(method)") }, said.joined(separator: "\n"))
            }
            XCTAssertEqual(try accuracy(run), soloAccuracy, accuracy: 0.03, "\(method) learns what the single process learns (500 test images)")
            let header = String(decoding: try AtomicFile.read("\(run)/model.safetensors").prefix(4096), as: UTF8.self)
            XCTAssertTrue(header.contains("\"gradient_compression\":\"gradient_compression \(method == "auto" ? "auto -> " : method)"),
                          "the model file records how it was trained: \(header)")
        }
    }

    /// A worker whose configuration differs is refused, with the field and both values on both sides.
    func testMismatchedWorkerIsRefusedByName() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("cluster-refuse")
        // Plain TCP, said explicitly (CURVE is the default and would need keys).
        try "epochs: 1\nlearning_rate: 0.001\ntransport_security: plain\n".write(toFile: "\(folder)/a.yaml", atomically: true, encoding: .utf8)
        try "epochs: 1\nlearning_rate: 0.002\ntransport_security: plain\n".write(toFile: "\(folder)/b.yaml", atomically: true, encoding: .utf8)
        let coordinator = Process()
        coordinator.executableURL = URL(fileURLWithPath: cifake)
        coordinator.arguments = ["coordinator", "--config", "\(folder)/a.yaml", "--listen", "127.0.0.1:0", "--min-workers", "1", "--out", "\(folder)/run"]
        let out = Pipe(), err = Pipe()
        coordinator.standardOutput = out
        coordinator.standardError = err
        try coordinator.run()
        defer { if coordinator.isRunning { coordinator.terminate() } }
        var endpoint = ""
        var buffered = Data()
        let deadline = Date().addingTimeInterval(60)
        while endpoint.isEmpty && Date() < deadline {
            buffered.append(out.fileHandleForReading.availableData)
            if let line = String(decoding: buffered, as: UTF8.self).split(separator: "\n").first(where: { $0.contains("listening on tcp://") }) {
                endpoint = String(line.split(separator: "tcp://").last!)
            }
        }
        XCTAssertFalse(endpoint.isEmpty, "the coordinator announced its address")
        let worker = try runProcess(cifake, ["worker", "--coordinator", endpoint, "--config", "\(folder)/b.yaml"], environment: ["HOME": folder])
        XCTAssertNotEqual(worker.status, 0)
        XCTAssertTrue(worker.stderr.contains("configDigest: coordinator has"), worker.stderr)
        coordinator.terminate()
        coordinator.waitUntilExit()
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(log.contains("join refused") && log.contains("configDigest"), log)
        XCTAssertTrue(log.contains("WARNING: transport_security is 'plain'"), log)
        XCTAssertTrue(worker.stderr.contains("WARNING: transport_security is 'plain'"), worker.stderr)
    }

    private func weights(_ path: String) throws -> [Float] {
        let bytes = try AtomicFile.read(path)
        let (architecture, _) = try Network.architecture(ofModelFile: bytes, source: path)
        let network = Network(architecture: architecture, maxBatch: 1)
        try network.loadModelFile(bytes, source: path)
        return network.parameters.array
    }

    private func accuracy(_ run: String) throws -> Double {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(run)/metrics.json"))) as! [String: Any]
        return object["accuracy"] as! Double
    }
}
