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

    /// Two authorized workers train to the end while a client without a key and one with an
    /// unknown key keep knocking: both are refused, the refusals are logged with the address and
    /// key, and neither joins.
    func testCurveClusterTrainsWhileIntrudersAreRefused() throws {
        let cifake = try Paths.cifake()
        let folder = Paths.temporaryFolder("curve-cluster")
        for name in ["coordinator", "worker-a", "worker-b", "intruder"] {
            let made = try runProcess(cifake, ["keygen", "--out", "\(folder)/keys", "--name", name])
            XCTAssertEqual(made.status, 0, made.stderr)
        }
        try FileManager.default.createDirectory(atPath: "\(folder)/authorized", withIntermediateDirectories: true)
        for name in ["worker-a", "worker-b"] {
            try FileManager.default.copyItem(atPath: "\(folder)/keys/\(name).key", toPath: "\(folder)/authorized/\(name).key")
        }
        let intruderKey = try key("\(folder)/keys/intruder.key")
        try (base + """
            transport_security: curve
            coordinator_secret_key: \(folder)/keys/coordinator.key_secret
            coordinator_public_key: \(folder)/keys/coordinator.key
            authorized_keys: \(folder)/authorized
            """).write(toFile: "\(folder)/coordinator.yaml", atomically: true, encoding: .utf8)
        for name in ["worker-a", "worker-b", "intruder"] {
            try (base + """
                worker_secret_key: \(folder)/keys/\(name).key_secret
                worker_public_key: \(folder)/keys/\(name).key
                coordinator_public_key: \(folder)/keys/coordinator.key
                """).write(toFile: "\(folder)/\(name).yaml", atomically: true, encoding: .utf8)
        }
        try (base + "transport_security: plain\n").write(toFile: "\(folder)/plain.yaml", atomically: true, encoding: .utf8)

        let coordinator = try LoggedProcess(cifake, ["coordinator", "--config", "\(folder)/coordinator.yaml", "--listen", "127.0.0.1:0",
                                                     "--min-workers", "2", "--out", "\(folder)/run"], home: folder)
        defer { coordinator.stop() }
        let endpoint = try XCTUnwrap(coordinator.waitForOutput("listening on tcp://", seconds: 120).map { String($0.split(separator: "tcp://").last!) },
                                     "the coordinator announced its address:\n\(coordinator.log)")
        let unknown = try LoggedProcess(cifake, ["worker", "--coordinator", endpoint, "--config", "\(folder)/intruder.yaml"], home: folder)
        let keyless = try LoggedProcess(cifake, ["worker", "--coordinator", endpoint, "--config", "\(folder)/plain.yaml"], home: folder)
        defer { unknown.stop(); keyless.stop() }
        XCTAssertNotNil(coordinator.waitForLog("with public key \(intruderKey): unknown public key", seconds: 60),
                        "the unknown key's refusal is logged with the key:\n\(coordinator.log)")
        // libzmq reports a keyless client either as a mechanism mismatch or, depending on when
        // the client gives up, as a handshake failure without detail: both are refusals.
        XCTAssertNotNil(coordinator.waitForLog("refused a connection from 127.0.0.1 with no CURVE key: ", seconds: 60),
                        "the keyless client's refusal is logged:\n\(coordinator.log)")
        XCTAssertTrue(coordinator.log.contains("refused a connection from 127.0.0.1 with public key \(intruderKey)"), coordinator.log)

        let workers = try ["worker-a", "worker-b"].map {
            try LoggedProcess(cifake, ["worker", "--coordinator", endpoint, "--config", "\(folder)/\($0).yaml", "--threads", "1"], home: folder)
        }
        defer { workers.forEach { $0.stop() } }
        XCTAssertTrue(coordinator.waitForExit(seconds: 300), "the run ends:\n\(coordinator.log)")
        XCTAssertEqual(coordinator.status, 0, coordinator.log)
        XCTAssertTrue(coordinator.log.contains("finished after step"), coordinator.log)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(folder)/run/model.safetensors"))
        XCTAssertEqual(coordinator.log.components(separatedBy: "join from ").count - 1, 2, "only the two authorized workers joined:\n\(coordinator.log)")
        for w in workers {
            XCTAssertTrue(w.waitForExit(seconds: 60))
            XCTAssertEqual(w.status, 0, w.log)
            XCTAssertTrue(w.log.contains("transport: CURVE, worker key"), w.log)
        }
        XCTAssertTrue(unknown.isRunning || unknown.status != 0, "the intruder never got in:\n\(unknown.log)")
        XCTAssertFalse(unknown.log.contains("rank "), unknown.log)
        XCTAssertFalse(keyless.log.contains("rank "), keyless.log)
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
