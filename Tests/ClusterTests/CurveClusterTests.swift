import Foundation
import TestSupport
import XCTest

/// CURVE on a real cluster: coordinator and workers as processes on 127.0.0.1 (ports chosen at
/// run time), keys made by `cifake keygen`.
final class CurveClusterTests: XCTestCase {
    private let base = """
        model: cnn2d
        dense: 32
        epochs: 1
        batch_size: 32
        validation_fraction: 0
        augment_shift: 0
        seed: 3
        threads: 1

        """

    /// Two authorized workers train to the end while intruders knock: a client without a key,
    /// one with an unknown key, one given the wrong coordinator key, an evaluator's key acting as
    /// a worker, and an authorized worker's key taking another worker's name. The first three
    /// are refused by the transport, logged with address and key, and say within seconds why;
    /// the last two are refused at the join, naming the role or the name's key. None joins.
    func testCurveClusterTrainsWhileIntrudersAreRefused() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("curve-cluster")
        for (name, role) in [("coordinator", nil), ("worker-a", "worker"), ("worker-b", "worker"), ("intruder", nil), ("evaluator", "evaluator")] {
            let made = try runProcess(cifake, ["keygen", "--out", "\(folder)/keys", "--name", name] + (role.map { ["--role", $0] } ?? []))
            XCTAssertEqual(made.status, 0, made.stderr)
        }
        try FileManager.default.createDirectory(atPath: "\(folder)/authorized", withIntermediateDirectories: true)
        for name in ["worker-a", "worker-b", "evaluator"] {
            try FileManager.default.copyItem(atPath: "\(folder)/keys/\(name).key", toPath: "\(folder)/authorized/\(name).key")
        }
        let intruderKey = try key("\(folder)/keys/intruder.key")
        try (base + """
            transport_security: curve
            coordinator_secret_key: \(folder)/keys/coordinator.key_secret
            coordinator_public_key: \(folder)/keys/coordinator.key
            authorized_keys: \(folder)/authorized
            """).write(toFile: "\(folder)/coordinator.yaml", atomically: true, encoding: .utf8)
        for name in ["worker-a", "worker-b", "intruder", "evaluator"] {
            try (base + """
                worker_secret_key: \(folder)/keys/\(name).key_secret
                worker_public_key: \(folder)/keys/\(name).key
                coordinator_public_key: \(folder)/keys/coordinator.key
                """).write(toFile: "\(folder)/\(name).yaml", atomically: true, encoding: .utf8)
        }
        try (base + """
            worker_secret_key: \(folder)/keys/worker-a.key_secret
            coordinator_public_key: \(folder)/keys/intruder.key
            """).write(toFile: "\(folder)/wrong-coordinator.yaml", atomically: true, encoding: .utf8)
        try (base + "transport_security: plain\n").write(toFile: "\(folder)/plain.yaml", atomically: true, encoding: .utf8)

        let coordinator = try LoggedProcess(cifake, ["coordinator", "--config", "\(folder)/coordinator.yaml", "--listen", "127.0.0.1:0",
                                                     "--min-workers", "2", "--out", "\(folder)/run"], home: folder)
        defer { coordinator.stop() }
        let endpoint = try XCTUnwrap(coordinator.waitForOutput("listening on tcp://", seconds: 120).map { String($0.split(separator: "tcp://").last!) },
                                     "the coordinator announced its address:\n\(coordinator.log)")
        func worker(_ config: String, name: String? = nil) throws -> LoggedProcess {
            try LoggedProcess(cifake, ["worker", "--coordinator", endpoint, "--config", "\(folder)/\(config).yaml", "--threads", "1"]
                                  + (name.map { ["--name", $0] } ?? []), home: folder)
        }
        // Refused by the transport: each says why within seconds and exits, naming the key setting.
        let refusedByTransport = [("intruder", "authorized_keys"), ("plain", "requires CURVE"), ("wrong-coordinator", "coordinator_public_key")]
        for (config, hint) in refusedByTransport {
            let process = try worker(config)
            defer { process.stop() }
            XCTAssertTrue(process.waitForExit(seconds: 60), "\(config): the refused worker gave up:\n\(process.log)")
            XCTAssertNotEqual(process.status, 0, process.log)
            XCTAssertTrue(process.log.contains(hint), "\(config): the worker names \(hint):\n\(process.log)")
        }
        XCTAssertTrue(coordinator.log.contains("refused a connection from 127.0.0.1 with public key \(intruderKey): unknown public key"), coordinator.log)
        XCTAssertTrue(coordinator.log.contains("refused a connection from 127.0.0.1 with no CURVE key: "), coordinator.log)

        // Authenticated, but not allowed what it asks: an evaluator's key taking a rank, and
        // worker-b's key taking worker-a's name while worker-a waits for its peer.
        let a = try worker("worker-a", name: "node-a")
        defer { a.stop() }
        XCTAssertNotNil(coordinator.waitForLog("worker node-a on", seconds: 120), coordinator.log)
        for (config, field) in [("evaluator", "role: coordinator has key"), ("worker-b", "nodeID: coordinator has node-a bound to key")] {
            let impostor = try worker(config, name: "node-a")
            defer { impostor.stop() }
            XCTAssertTrue(impostor.waitForExit(seconds: 120), "\(config): the refused join ends the process:\n\(impostor.log)")
            XCTAssertNotEqual(impostor.status, 0, impostor.log)
            XCTAssertTrue(impostor.log.contains(field), "\(config): the refusal names \(field):\n\(impostor.log)")
        }
        XCTAssertFalse(coordinator.log.contains("is gone"), "no impostor evicted worker-a:\n\(coordinator.log)")

        let b = try worker("worker-b", name: "node-b")
        defer { b.stop() }
        XCTAssertTrue(coordinator.waitForExit(seconds: 300), "the run ends:\n\(coordinator.log)")
        XCTAssertEqual(coordinator.status, 0, coordinator.log)
        XCTAssertTrue(coordinator.log.contains("finished after step"), coordinator.log)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(folder)/run/model.safetensors"))
        XCTAssertEqual(coordinator.log.components(separatedBy: " joined").count - 1, 2, "only the two authorized workers joined:\n\(coordinator.log)")
        for w in [a, b] {
            XCTAssertTrue(w.waitForExit(seconds: 60))
            XCTAssertEqual(w.status, 0, w.log)
            XCTAssertTrue(w.log.contains("transport: CURVE, worker key"), w.log)
        }
    }

    /// CURVE is the default: without keys each role refuses to start and names what is missing;
    /// plain TCP needs `transport_security: plain`. Secret key files must be private.
    func testPlainNeedsTheExplicitSettingAndKeysMustBeSound() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("curve-config")
        try base.write(toFile: "\(folder)/nokeys.yaml", atomically: true, encoding: .utf8)
        let coordinator = try runProcess(cifake, ["coordinator", "--config", "\(folder)/nokeys.yaml", "--listen", "127.0.0.1:0", "--min-workers", "1"],
                                         environment: ["HOME": folder])
        XCTAssertNotEqual(coordinator.status, 0)
        XCTAssertTrue(coordinator.stderr.contains("coordinator_secret_key: not set"), coordinator.stderr)
        XCTAssertTrue(coordinator.stderr.contains("authorized_keys: not set"), coordinator.stderr)
        XCTAssertTrue(coordinator.stderr.contains("transport_security: plain"), coordinator.stderr)
        XCTAssertFalse(coordinator.stdout.contains("listening"), "it never listened")
        let worker = try runProcess(cifake, ["worker", "--coordinator", "127.0.0.1:9"], environment: ["HOME": folder])
        XCTAssertNotEqual(worker.status, 0)
        XCTAssertTrue(worker.stderr.contains("worker_secret_key: not set") && worker.stderr.contains("coordinator_public_key: not set"), worker.stderr)

        // keygen: atomic, private, never overwrites by accident.
        let made = try runProcess(cifake, ["keygen", "--out", "\(folder)/keys", "--name", "coordinator"])
        XCTAssertEqual(made.status, 0, made.stderr)
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(folder)/keys/coordinator.key_secret")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let publicKey = try key("\(folder)/keys/coordinator.key")
        let again = try runProcess(cifake, ["keygen", "--out", "\(folder)/keys", "--name", "coordinator"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("--force"), again.stderr)
        XCTAssertEqual(try key("\(folder)/keys/coordinator.key"), publicKey, "not replaced")
        XCTAssertEqual(try runProcess(cifake, ["keygen", "--out", "\(folder)/keys", "--name", "coordinator", "--force"]).status, 0)
        XCTAssertNotEqual(try key("\(folder)/keys/coordinator.key"), publicKey, "replaced with --force")

        // A readable secret, a wrong public key and an empty authorized set: all listed at once.
        chmod("\(folder)/keys/coordinator.key_secret", 0o644)
        _ = try runProcess(cifake, ["keygen", "--out", "\(folder)/keys", "--name", "other"])
        try FileManager.default.createDirectory(atPath: "\(folder)/empty", withIntermediateDirectories: true)
        try (base + """
            coordinator_secret_key: \(folder)/keys/coordinator.key_secret
            coordinator_public_key: \(folder)/keys/other.key
            authorized_keys: \(folder)/empty
            """).write(toFile: "\(folder)/bad.yaml", atomically: true, encoding: .utf8)
        let bad = try runProcess(cifake, ["coordinator", "--config", "\(folder)/bad.yaml", "--listen", "127.0.0.1:0"], environment: ["HOME": folder])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("chmod 600"), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("holds no keys"), bad.stderr)
        chmod("\(folder)/keys/coordinator.key_secret", 0o600)
        let mismatched = try runProcess(cifake, ["coordinator", "--config", "\(folder)/bad.yaml", "--listen", "127.0.0.1:0"], environment: ["HOME": folder])
        XCTAssertTrue(mismatched.stderr.contains("which is not the public key of"), mismatched.stderr)

        // An unknown mode is a configuration error like any other.
        try (base + "transport_security: tls\n").write(toFile: "\(folder)/tls.yaml", atomically: true, encoding: .utf8)
        let tls = try runProcess(cifake, ["coordinator", "--config", "\(folder)/tls.yaml", "--listen", "127.0.0.1:0"], environment: ["HOME": folder])
        XCTAssertNotEqual(tls.status, 0)
        XCTAssertTrue(tls.stderr.contains("transport_security: found 'tls'"), tls.stderr)
    }

    private func key(_ path: String) throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try XCTUnwrap(text.split(separator: "\n").first { !$0.hasPrefix("#") }.map(String.init))
    }
}
