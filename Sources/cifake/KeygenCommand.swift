import ArgumentParser
import Foundation
import Cluster
import Coordination
import Transport

/// `cifake keygen`: a CURVE key pair for a coordinator or a worker.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a CURVE key pair for the cluster transport (coordinator or worker).",
        discussion: """
            Writes DIR/NAME.key (the public key, to give to peers: the coordinator's goes to every \
            worker's coordinator_public_key, a worker's or evaluator's into the coordinator's authorized_keys; with --role, the key may \
            join only as that role and a node name stays bound to the key that first used it) \
            and DIR/NAME.key_secret (mode 0600, never leaves the machine). Both are written atomically; \
            existing files are kept unless --force.
            """)

    @Option(name: .long, help: "Folder to write the key files into (created if missing).")
    var out: String

    @Option(name: .long, help: "File name of the pair (NAME.key and NAME.key_secret).")
    var name = "cifake"

    @Option(name: .long, help: ArgumentHelp("Bind the public key to one role in the coordinator's authorized_keys: worker or evaluator (default: either).", valueName: "ROLE"))
    var role: String?

    @Flag(name: .long, help: "Replace existing key files of that name.")
    var force = false

    func run() throws {
        let bound: JoinRequest.Role?
        switch role {
        case nil: bound = nil
        case "worker": bound = .worker
        case "evaluator": bound = .evaluator
        case let other?: throw CLIError.message("keygen: --role \(other): expected worker or evaluator", code: 2)
        }
        do {
            let pair = try ZMQCurveKeyPair.generate()
            let (publicPath, secretPath) = try CurveKeyFile.write(pair, folder: out, name: name, role: bound, force: force)
            print("public key \(pair.publicKey)")
            print("written: \(publicPath) (public), \(secretPath) (secret, mode 0600)")
        } catch {
            throw CLIError.message("keygen: \(error)", code: 1)
        }
    }
}
