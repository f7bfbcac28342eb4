import Foundation
import Transport
import Wire

/// The parent of a multi-process benchmark on 127.0.0.1 (`bench allreduce`, `bench train
/// --workers N`): binds a ROUTER on a port chosen at run time, starts `workers` copies of this
/// executable with a hidden rank subcommand, forms the ring from the endpoints the ranks report,
/// and runs barriers and gathers. The rank side is `RankChannel`.
///
/// Messages are `BenchControl` frames (the cluster's wire format, kinds 256 and up). A rank's
/// `failed`, a rank that exits, an undecodable frame, or silence beyond the deadline fails the
/// receive. Ranks still running when the launcher goes away are terminated.
final class RankLauncher {
    let workers: Int
    /// How long a receive waits for the ranks before it gives up (their own deadline plus 5 s).
    let timeoutMilliseconds: Int
    private let router: ZMQSocket
    private var processes: [Process] = []
    /// Each rank's ROUTER identity, from its `hello`.
    private var identities: [[UInt8]]
    /// Messages of ranks that ran ahead of a gather, oldest first.
    private var pending: [(rank: Int, message: BenchControl)] = []

    /// Starts the ranks: `subcommand + ["--coordinator", endpoint, "--rank", r] + arguments`.
    init(workers: Int, subcommand: [String], arguments: [String], timeoutMilliseconds: Int) throws {
        self.workers = workers
        self.timeoutMilliseconds = timeoutMilliseconds
        identities = [[UInt8]](repeating: [], count: workers)
        router = try ZMQSocket(context: try ZMQContext(), type: .router)
        try router.set(.linger, 0)
        try router.bind("tcp://127.0.0.1:*")
        let coordinator = try router.lastEndpoint()
        let executable = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        for rank in 0..<workers {
            let process = Process()
            process.executableURL = executable
            process.arguments = subcommand + ["--coordinator", coordinator, "--rank", "\(rank)"] + arguments
            try process.run()
            processes.append(process)
        }
    }

    deinit {
        for process in processes where process.isRunning { process.terminate() }
    }

    /// Receives one message and its sender's identity; fails if a rank reported an error or died,
    /// a frame does not decode, or nothing came in time.
    private func receive() throws -> (identity: [UInt8], message: BenchControl) {
        var waited = 0
        while true {
            if let parts = try router.receiveMultipart(timeoutMilliseconds: 500), parts.count == 2 {
                let message: BenchControl
                do {
                    message = try BenchControlCodec.decode(parts[1])
                } catch {
                    throw RankError.undecodable(rank: identities.firstIndex(of: parts[0]), error)
                }
                if case .failed(let rank, let text) = message { throw RankError.failed(rank: rank, message: text) }
                return (parts[0], message)
            }
            waited += 500
            for (rank, process) in processes.enumerated() where !process.isRunning {
                throw RankError.exited(rank: rank, status: process.terminationStatus)
            }
            if waited > timeoutMilliseconds + 5_000 {
                throw RankError.silent(from: "the ranks", waitedMilliseconds: waited)
            }
        }
    }

    /// Rendezvous: `hello` from every rank, then `ring` to each with its successor's endpoint
    /// and, when every rank sent a CURVE key, its successor's and predecessor's keys.
    func formRing() throws {
        var hellos = [(endpoint: String, publicKey: String?)?](repeating: nil, count: workers)
        for _ in 0..<workers {
            let (identity, message) = try receive()
            guard case .hello(let rank, let endpoint, let publicKey) = message, rank < workers, hellos[rank] == nil else {
                throw RankError.unexpected(rank: nil, expected: "one hello from each of ranks 0..<\(workers)", found: "\(message)")
            }
            identities[rank] = identity
            hellos[rank] = (endpoint, publicKey)
        }
        let keys = hellos.map { $0!.publicKey }
        let curve = !keys.contains(nil)
        for rank in 0..<workers {
            let successor = (rank + 1) % workers, predecessor = (rank + workers - 1) % workers
            try send(.ring(successor: hellos[successor]!.endpoint, successorKey: curve ? keys[successor] : nil,
                           predecessorKey: curve ? keys[predecessor] : nil), to: rank)
        }
        // With CURVE the ranks connect only once every one trusts its predecessor.
        if curve { try barrier() }
    }

    /// Waits for one message from every rank that `value` accepts (nil: not the message this
    /// point of the protocol expects, described by `expected`); returns the values by rank. A
    /// rank that is ahead (its next message arrives before a slower rank's) has that message
    /// kept, in order, for the next gather. A message must name the rank whose socket sent it.
    func gather<Value>(_ expected: String, _ value: (BenchControl) -> Value?) throws -> [Value] {
        var found = [Value?](repeating: nil, count: workers)
        var missing = workers
        var ahead: [(rank: Int, message: BenchControl)] = []
        while missing > 0 {
            let (rank, message) = pending.isEmpty ? try receiveFromRank() : pending.removeFirst()
            if found[rank] != nil {
                ahead.append((rank, message))
                continue
            }
            guard let v = value(message) else {
                throw RankError.unexpected(rank: rank, expected: expected, found: "\(message)")
            }
            found[rank] = v
            missing -= 1
        }
        pending = ahead + pending
        return found.map { $0! }
    }

    /// A message from a rank that said hello, naming that rank.
    private func receiveFromRank() throws -> (rank: Int, message: BenchControl) {
        let (identity, message) = try receive()
        guard let rank = message.rank, rank < workers, identities[rank] == identity else {
            throw RankError.unexpected(rank: identities.firstIndex(of: identity), expected: "a message naming its sender's rank (below \(workers))",
                                       found: "\(message)")
        }
        return (rank, message)
    }

    func send(_ message: BenchControl, to rank: Int) throws {
        try router.sendMultipart([identities[rank], try BenchControlCodec.encode(message)])
    }

    func broadcast(_ message: BenchControl) throws {
        let frame = try BenchControlCodec.encode(message)
        for rank in 0..<workers { try router.sendMultipart([identities[rank], frame]) }
    }

    /// A barrier: `ready` from every rank, then `release` (by default `go`) to all.
    func barrier(release: BenchControl = .go) throws {
        _ = try gather("ready") { $0.kind == .benchReady ? () : nil }
        try broadcast(release)
    }

    /// Waits for every rank to exit; fails unless all exited with status 0.
    func waitForExit() throws {
        for (rank, process) in processes.enumerated() {
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw RankError.exited(rank: rank, status: process.terminationStatus)
            }
        }
    }
}
