import Coordination
import Foundation
import Storage
import Training
import Transport

/// Which process of a cluster reads the transport settings.
public enum ClusterRole: String, Sendable {
    case coordinator, worker
}

/// The transport security of one cluster process, resolved from the configuration's
/// `transport_security` and key files: CURVE keys (nil on plain TCP) and whom to trust.
///
/// - Coordinator: its key pair (`coordinator_secret_key`), and the worker keys it accepts
///   (`authorized_keys`), enforced by a `ZAPHandler` on its control socket.
/// - Worker: its key pair (`worker_secret_key`) and the coordinator's public key
///   (`coordinator_public_key`): it talks to no other coordinator. On the ring it accepts only its
///   predecessor's key and trusts only its successor's, both as the coordinator authenticated them.
public struct ClusterSecurity: Sendable {
    public let role: ClusterRole
    /// This process's CURVE keys; nil means plain TCP.
    public let keys: ZMQCurveKeyPair?
    /// Worker: the coordinator's public key.
    public let coordinatorPublicKey: String?
    /// Coordinator: the public keys accepted (workers' and evaluators').
    public var authorizedKeys: Set<String> { Set(authorizedRoles.keys) }
    /// Coordinator: each accepted key and the one role it may take (nil: either; a key line
    /// without a role).
    public let authorizedRoles: [String: JoinRequest.Role?]
    /// The roles to enforce: the keys that name one.
    public var keyRoles: [String: JoinRequest.Role] { authorizedRoles.compactMapValues { $0 } }

    public var isCurve: Bool { keys != nil }

    public static func plain(_ role: ClusterRole) -> ClusterSecurity {
        ClusterSecurity(role: role, keys: nil, coordinatorPublicKey: nil, authorizedRoles: [:])
    }

    /// The warning every role logs when it starts on plain TCP.
    public static let plainWarning = "WARNING: transport_security is 'plain': control and ring traffic is neither authenticated nor encrypted; anyone who can reach these ports can join the run, read or alter gradients. Use transport_security: curve with keys from 'cifake keygen'."

    /// One line for the log: the mode, this process's public key and whom it trusts.
    public var summary: String {
        guard let keys else { return "transport: plain TCP (unauthenticated, unencrypted)" }
        switch role {
        case .coordinator:
            let open = authorizedRoles.values.filter { $0 == nil }.count
            let roles = open == 0 ? "each bound to its role" : "\(open) without a role (may join as worker or evaluator)"
            return "transport: CURVE, coordinator key \(keys.publicKey), \(authorizedRoles.count) authorized key(s), \(roles)"
        case .worker: return "transport: CURVE, worker key \(keys.publicKey), coordinator key \(coordinatorPublicKey ?? "?")"
        }
    }

    // MARK: Resolving the configuration

    /// Reads and checks every key `role` needs; every problem is listed at once.
    public static func resolve(_ config: TrainingConfig, role: ClusterRole, source: String = "configuration",
                               hint: String = "") throws(ConfigError) -> ClusterSecurity {
        switch config.transportSecurity {
        case "plain":
            return .plain(role)
        case "curve":
            break
        default:
            throw .invalid(source: source, problems: ["transport_security: found '\(config.transportSecurity)', expected 'curve' or 'plain'"])
        }
        var problems: [String] = []
        let howTo = "make keys with 'cifake keygen --out DIR --name NAME' and name the files in the configuration, or set transport_security: plain explicitly to run unprotected\(hint)"
        func required(_ key: String, _ path: String, _ what: String) -> String? {
            if path.isEmpty {
                problems.append("\(key): not set, and transport_security is 'curve' (the default): the \(role.rawValue) needs \(what); \(howTo)")
                return nil
            }
            return path
        }
        let (secretKey, secretPath, publicPath): (String, String, String) = role == .coordinator
            ? ("coordinator_secret_key", config.coordinatorSecretKey, config.coordinatorPublicKey)
            : ("worker_secret_key", config.workerSecretKey, config.workerPublicKey)
        var keys: ZMQCurveKeyPair?
        if let path = required(secretKey, secretPath, "its secret key file") {
            do {
                let secret = try CurveKeyFile.readKey(path, secret: true)
                keys = ZMQCurveKeyPair(secretKey: secret)
                if keys == nil { problems.append("\(secretKey): \(path) does not hold a CURVE secret key") }
            } catch { problems.append("\(secretKey): \(error)") }
        }
        // Own public key: optional, but must belong to the secret key.
        if !publicPath.isEmpty {
            let publicName = role == .coordinator ? "coordinator_public_key" : "worker_public_key"
            do {
                let key = try CurveKeyFile.readKey(publicPath, secret: false)
                if let keys, key != keys.publicKey {
                    problems.append("\(publicName): \(publicPath) holds \(key), which is not the public key of \(secretPath) (\(keys.publicKey))")
                }
            } catch { problems.append("\(publicName): \(error)") }
        }
        var coordinatorKey: String?
        var authorized: [String: JoinRequest.Role?] = [:]
        switch role {
        case .coordinator:
            if let path = required("authorized_keys", config.authorizedKeys, "the public keys of the workers it accepts (a folder of .key files or one file of keys)") {
                do {
                    authorized = try CurveKeyFile.readAuthorizedKeys(path)
                    if authorized.isEmpty { problems.append("authorized_keys: \(path) holds no keys: no worker could join") }
                } catch { problems.append("authorized_keys: \(error)") }
            }
        case .worker:
            if let path = required("coordinator_public_key", config.coordinatorPublicKey, "the coordinator's public key file (it trusts no other coordinator)") {
                do { coordinatorKey = try CurveKeyFile.readKey(path, secret: false) } catch { problems.append("coordinator_public_key: \(error)") }
            }
        }
        guard problems.isEmpty, let keys else { throw .invalid(source: source, problems: problems) }
        return ClusterSecurity(role: role, keys: keys, coordinatorPublicKey: coordinatorKey, authorizedRoles: authorized)
    }

    /// A worker's settings: from its own configuration file, or, without one, the defaults (CURVE
    /// without keys: refused, naming what to give).
    public static func forWorker(configPath: String?) throws(ConfigError) -> ClusterSecurity {
        // The keys may come from the file or from CIFAKE_<KEY> variables (schedulers' secrets).
        let environment = ProcessInfo.processInfo.environment
        var settings = TrainingConfig()
        if let configPath { settings = try ConfigFile.load(configPath) }
        var fromEnvironment = TrainingConfig()
        _ = ConfigLayers.apply(ConfigLayers.environmentOverrides(environment).overrides.filter { TrainingConfig.launchKeys.contains($0.key) },
                               to: &fromEnvironment)
        for key in TrainingConfig.launchKeys where environment[ConfigLayers.environmentVariable(for: key)].map({ !$0.isEmpty }) == true {
            settings.take(key, from: fromEnvironment)
        }
        return try resolve(settings, role: .worker, source: configPath ?? "worker (no --config)",
                           hint: " (a worker reads them from its --config file or CIFAKE_WORKER_SECRET_KEY and CIFAKE_COORDINATOR_PUBLIC_KEY)")
    }

    // MARK: Applying it to sockets

    /// Makes `socket` (a server: bind after this) a CURVE server whose clients must hold an
    /// authorized key, and starts the context's ZAP handler (keep it; `stop()` it at the end).
    /// Returns nil on plain TCP.
    func secureServer(_ socket: ZMQSocket, context: ZMQContext, name: String,
                      log: @escaping @Sendable (String) -> Void) throws -> ZAPHandler? {
        guard let keys else { return nil }
        let zap = try ZAPHandler(context: context, authorized: authorizedKeys, log: log)
        try zap.watch(socket, name: name)
        try socket.makeCurveServer(keys)
        return zap
    }

    /// Makes the worker's control socket a CURVE client of the coordinator (before `connect`).
    func secureClient(_ socket: ZMQSocket) throws {
        guard let keys else { return }
        try socket.makeCurveClient(keys, serverPublicKey: coordinatorPublicKey ?? "")
    }

    /// A worker's ZAP handler for its ring socket, trusting nobody until `trustPredecessor`.
    func startRingGuard(context: ZMQContext, log: @escaping @Sendable (String) -> Void) throws -> ZAPHandler? {
        guard isCurve else { return nil }
        return try ZAPHandler(context: context, authorized: [], log: log)
    }

    /// Why `server` does not let this process in, in words that name the keys to check.
    func explain(_ refusal: HandshakeWatch.Refusal, server: String) -> String {
        let me = keys.map { "this process's CURVE key \($0.publicKey)" } ?? "this process (plain TCP)"
        switch refusal {
        case .keyRefused(let status):
            return "the coordinator at \(server) refused \(me) (ZAP status \(status)): its public key file is probably not in the coordinator's authorized_keys, or is bound to another role there; the coordinator's log names the key it refused"
        case .mechanismMismatch:
            return keys == nil
                ? "the coordinator at \(server) requires CURVE and this process uses plain TCP: give it transport_security: curve with worker_secret_key and coordinator_public_key"
                : "the coordinator at \(server) runs plain TCP and this process CURVE: set the same transport_security on both"
        case .closedDuringHandshake(let times) where keys == nil:
            return "the coordinator at \(server) closed the connection during the handshake \(times) times in a row: it probably requires CURVE, and this process uses plain TCP (give it transport_security: curve with worker_secret_key and coordinator_public_key)"
        case .closedDuringHandshake(let times):
            return "the coordinator at \(server) closed the connection during the CURVE handshake \(times) times in a row: coordinator_public_key (\(coordinatorPublicKey ?? "?")) is probably not that coordinator's public key, or it refuses \(me)"
        case .protocolError(let code):
            return "the CURVE handshake with the coordinator at \(server) failed (protocol error 0x\(String(code, radix: 16))); check that both run the same cifake version and transport_security"
        }
    }

    /// Accepts only the predecessor's key on the ring socket (call when the assignment arrives,
    /// before answering `ready`). Fails if the coordinator sent no keys for a CURVE ring.
    func trustPredecessor(_ zap: ZAPHandler?, assignment: Assignment) throws {
        guard isCurve else { return }
        guard ZMQCurve.decode(assignment.successor.publicKey) != nil, ZMQCurve.decode(assignment.predecessor.publicKey) != nil else {
            throw RuntimeError.protocolViolation("the assignment lacks the ring neighbours' CURVE keys (is the coordinator on plain TCP?)")
        }
        zap?.authorize([assignment.predecessor.publicKey])
    }

    /// Connects to the successor, trusting only its key. Call after the coordinator's `start`:
    /// every member has then trusted its predecessor (a connection its ZAP handler refused would
    /// not be retried in time, and frames queued on it would be lost).
    /// Through the successor's Unix socket when it shares this worker's `locality`, else TCP;
    /// returns the endpoint used.
    @discardableResult
    func connectRing(_ link: ZeroMQRingLink, assignment: Assignment, locality: String) throws -> String {
        let successor = assignment.successor
        let endpoint = successor.endpoint(from: locality)
        try link.replaceSuccessor(endpoint, serverPublicKey: isCurve ? successor.publicKey : nil)
        return endpoint
    }
}

/// CURVE key files as `cifake keygen` writes them: `NAME.key` (public, readable by others) and
/// `NAME.key_secret` (secret, mode 0600), each one Z85 key of 40 characters on its own line,
/// after `#` comment lines.
public enum CurveKeyFile {
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes a fresh pair to `folder/NAME.key` and `folder/NAME.key_secret`, atomically; refuses
    /// to replace either unless `force`.
    @discardableResult
    public static func write(_ pair: ZMQCurveKeyPair, folder: String, name: String, role: JoinRequest.Role? = nil,
                             force: Bool = false) throws -> (publicPath: String, secretPath: String) {
        guard !name.isEmpty, !name.contains("/") else { throw Problem(description: "key name '\(name)': expected a file name without '/'") }
        try AtomicFile.makeFolder(folder)
        let publicPath = "\(folder)/\(name).key", secretPath = "\(folder)/\(name).key_secret"
        if !force {
            let existing = [publicPath, secretPath].filter { FileManager.default.fileExists(atPath: $0) }
            guard existing.isEmpty else {
                throw Problem(description: "\(existing.joined(separator: " and ")) already exist\(existing.count == 1 ? "s" : ""); not replaced (give --force to replace)")
            }
        }
        try AtomicFile.write("# cifake CURVE secret key (Z85). Keep it private: whoever holds it is '\(name)'.\n\(pair.secretKey)\n",
                             to: secretPath, permissions: 0o600)
        try AtomicFile.write("# cifake CURVE public key (Z85) of '\(name)'. Give it to the peers that must trust it (e.g. the coordinator's authorized_keys\(role.map { ", where it may join as \($0) only" } ?? "")).\n\(pair.publicKey)\(role.map { " \($0)" } ?? "")\n",
                             to: publicPath, permissions: 0o644)
        return (publicPath, secretPath)
    }

    /// The one key in a key file (its role word, if any, is not needed here). A secret key file
    /// readable by others (beyond its owner and group: Kubernetes mounts Secrets group-readable
    /// for the pod's fsGroup) is refused.
    public static func readKey(_ path: String, secret: Bool) throws -> String {
        if secret {
            var info = stat()
            guard stat(path, &info) == 0 else { throw Problem(description: "\(path): cannot read (\(String(cString: strerror(errno))))") }
            if info.st_mode & 0o007 != 0 {
                throw Problem(description: "\(path): a secret key readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); run 'chmod 600 \(path)'")
            }
        }
        let keys = try entries(in: path)
        guard keys.count == 1, let key = keys.first else {
            throw Problem(description: "\(path): expected one CURVE key, found \(keys.count)")
        }
        return key.key
    }

    /// The keys of a folder of `*.key` files, or of one file with a key per line, each with the
    /// role it is bound to. A key listed twice with different roles is an error.
    public static func readAuthorizedKeys(_ path: String) throws -> [String: JoinRequest.Role?] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw Problem(description: "\(path): no such file or folder")
        }
        let files = isFolder.boolValue
            ? try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".key") }.sorted().map { "\(path)/\($0)" }
            : [path]
        var all: [String: JoinRequest.Role?] = [:]
        for file in files {
            for entry in try entries(in: file) {
                if let earlier = all[entry.key], earlier != entry.role {
                    throw Problem(description: "\(file): key \(entry.key) is listed as \(entry.role.map(String.init(describing:)) ?? "any role") and before as \(earlier.map(String.init(describing:)) ?? "any role")")
                }
                all[entry.key] = entry.role
            }
        }
        return all
    }

    /// Every key line of a file: `KEY` or `KEY ROLE` (ROLE `worker` or `evaluator`, as
    /// `cifake keygen --role` writes it); any other non-comment line is an error naming the line.
    static func entries(in path: String) throws -> [(key: String, role: JoinRequest.Role?)] {
        let bytes: [UInt8]
        do { bytes = try AtomicFile.read(path) } catch { throw Problem(description: "\(error)") }
        var entries: [(key: String, role: JoinRequest.Role?)] = []
        for (index, raw) in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard words.count <= 2, let key = words.first, ZMQCurve.decode(key) != nil else {
                throw Problem(description: "\(path):\(index + 1): not a CURVE key (expected 40 characters of Z85, then optionally 'worker' or 'evaluator')")
            }
            var role: JoinRequest.Role?
            if words.count == 2 {
                switch words[1] {
                case "worker": role = .worker
                case "evaluator": role = .evaluator
                default: throw Problem(description: "\(path):\(index + 1): role '\(words[1])': expected 'worker' or 'evaluator'")
                }
            }
            entries.append((key, role))
        }
        return entries
    }
}

/// The transport settings `cifake train --workers N` gives its processes.
///
/// A loopback cluster is encrypted and authenticated by default: with `transport_security: curve`
/// and no keys named, the launcher makes one key pair per process for this run only, in a private
/// temporary folder (mode 0700) that it deletes at the end. Loopback ports are open to every user
/// of the machine, so without keys anyone could join the run or feed it gradients; the keys cost
/// nothing to manage. Encryption costs bandwidth (ring all-reduce about 0.15-0.27 GB/s with CURVE
/// against 0.5-1.2 GB/s plain, 2 ranks on this machine kind): little for the small models, a real
/// share of a step for D=4096; such runs may set transport_security: plain explicitly.
/// Keys named in the configuration are used as they are; `plain` only when the configuration says so.
struct LaunchSecurity {
    let coordinator: TrainingConfig
    /// The workers' settings, then the evaluators'.
    let workers: [TrainingConfig]
    /// The ephemeral key folder to delete at the end, if any.
    let keyFolder: String?
    let note: String

    /// Settings for `count` processes, the last `evaluators` of them evaluators: with keys made
    /// here, each key is bound to its process's role.
    static func prepare(_ config: TrainingConfig, workers count: Int, evaluators: Int = 0) throws -> LaunchSecurity {
        if config.transportSecurity == "plain" {
            return LaunchSecurity(coordinator: config, workers: Array(repeating: config, count: count), keyFolder: nil,
                                  note: ClusterSecurity.plainWarning)
        }
        let named = [config.coordinatorPublicKey, config.coordinatorSecretKey, config.workerPublicKey, config.workerSecretKey, config.authorizedKeys]
        guard named.allSatisfy(\.isEmpty) else {
            return LaunchSecurity(coordinator: config, workers: Array(repeating: config, count: count), keyFolder: nil,
                                  note: "transport: CURVE with the keys named in the configuration")
        }
        let folder = NSTemporaryDirectory() + "cifake-launch-\(getpid())-keys"
        try? FileManager.default.removeItem(atPath: folder)
        guard mkdir(folder, 0o700) == 0 else {
            throw CurveKeyFile.Problem(description: "\(folder): mkdir failed: \(String(cString: strerror(errno)))")
        }
        var coordinator = config
        let coordinatorKeys = try CurveKeyFile.write(try ZMQCurveKeyPair.generate(), folder: folder, name: "coordinator")
        coordinator.coordinatorSecretKey = coordinatorKeys.secretPath
        coordinator.coordinatorPublicKey = coordinatorKeys.publicPath
        var workers: [TrainingConfig] = []
        var authorized = ""
        for i in 0..<count {
            let pair = try ZMQCurveKeyPair.generate()
            let role: JoinRequest.Role = i < count - evaluators ? .worker : .evaluator
            let paths = try CurveKeyFile.write(pair, folder: folder, name: "\(role)-\(i)", role: role)
            authorized += "\(pair.publicKey) \(role)\n"
            var worker = config
            worker.workerSecretKey = paths.secretPath
            worker.workerPublicKey = paths.publicPath
            worker.coordinatorPublicKey = coordinatorKeys.publicPath
            workers.append(worker)
        }
        try AtomicFile.write("# the processes of this run, each key bound to its role\n" + authorized, to: "\(folder)/authorized_keys")
        coordinator.authorizedKeys = "\(folder)/authorized_keys"
        return LaunchSecurity(coordinator: coordinator, workers: workers, keyFolder: folder,
                              note: "transport: CURVE with keys made for this run only (\(folder), deleted at the end); name your own keys in the configuration, or set transport_security: plain explicitly")
    }
}
