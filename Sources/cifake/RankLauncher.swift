import Foundation
import Transport

/// The parent of a multi-process benchmark on 127.0.0.1 (`bench allreduce`, `bench train
/// --workers N`): binds a ROUTER on a port chosen at run time, starts `workers` copies of this
/// executable with a hidden rank subcommand, forms the ring from the endpoints the ranks report,
/// and runs barriers and gathers. The rank side is `RankChannel`.
///
/// Messages are one text frame of space-separated words (`<kind> <rank> ...`); `error <rank>
/// <text>` from a rank, a rank that exits, or silence beyond the deadline fails the receive.
/// Ranks still running when the launcher goes away are terminated.
final class RankLauncher {
    let workers: Int
    /// How long a receive waits for the ranks before it gives up (their own deadline plus 5 s).
    let timeoutMilliseconds: Int
    private let router: ZMQSocket
    private var processes: [Process] = []
    private var identities: [[UInt8]]
    /// Messages of ranks that ran ahead of a gather, oldest first.
    private var pending: [[Substring]] = []

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

    /// Receives one message [identity, text]; fails if a rank reported an error or died, or
    /// nothing came in time.
    func receive() throws -> (identity: [UInt8], words: [Substring]) {
        var waited = 0
        while true {
            if let parts = try router.receiveMultipart(timeoutMilliseconds: 500), parts.count == 2 {
                let words = String(decoding: parts[1], as: UTF8.self).split(separator: " ")
                if words.first == "error" {
                    throw RankError.failed(rank: String(words.dropFirst().first ?? "?"), message: words.dropFirst(2).joined(separator: " "))
                }
                return (parts[0], words)
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

    /// Rendezvous: `hello <rank> <endpoint> [<CURVE public key>]` from every rank, then
    /// `ring <successor's endpoint>` to each, plus, when the ranks sent keys, `<successor's key>
    /// <predecessor's key>`.
    func formRing() throws {
        var endpoints = [String](repeating: "", count: workers)
        var keys = [String](repeating: "", count: workers)
        for _ in 0..<workers {
            let (identity, words) = try receive()
            guard words.count == 3 || words.count == 4, words[0] == "hello", let rank = Int(words[1]), (0..<workers).contains(rank) else {
                throw RankError.unexpected(rank: nil, expected: "hello <rank below \(workers)> <endpoint> [<key>]", found: words.joined(separator: " "))
            }
            identities[rank] = identity
            endpoints[rank] = String(words[2])
            if words.count == 4 { keys[rank] = String(words[3]) }
        }
        for rank in 0..<workers {
            let successor = (rank + 1) % workers, predecessor = (rank + workers - 1) % workers
            let curve = keys[successor].isEmpty || keys[predecessor].isEmpty ? "" : " \(keys[successor]) \(keys[predecessor])"
            try send("ring \(endpoints[successor])\(curve)", to: rank)
        }
        // With CURVE the ranks connect only once every one trusts its predecessor.
        if !keys.contains("") { try barrier() }
    }

    /// Waits for `<kind> <rank> ...` from every rank; returns the words after the rank, by rank.
    /// A rank that is ahead (its next message arrives before a slower rank's `kind`) has that
    /// message kept, in order, for the next gather.
    func gather(_ kind: String) throws -> [[Substring]] {
        var found = [[Substring]?](repeating: nil, count: workers)
        var ahead: [[Substring]] = []
        while found.contains(where: { $0 == nil }) {
            let words = pending.isEmpty ? try receive().words : pending.removeFirst()
            guard words.count >= 2, let rank = Int(words[1]), (0..<workers).contains(rank) else {
                throw RankError.unexpected(rank: nil, expected: "\(kind) <rank below \(workers)> ...", found: words.prefix(4).joined(separator: " "))
            }
            if found[rank] != nil {
                ahead.append(words)
                continue
            }
            guard words[0] == kind else {
                throw RankError.unexpected(rank: rank, expected: "\(kind) \(rank) ...", found: words.prefix(4).joined(separator: " "))
            }
            found[rank] = Array(words.dropFirst(2))
        }
        pending = ahead + pending
        return found.map { $0! }
    }

    func send(_ text: String, to rank: Int) throws {
        try router.sendMultipart([identities[rank], Array(text.utf8)])
    }

    func broadcast(_ text: String) throws {
        for rank in 0..<workers { try send(text, to: rank) }
    }

    /// A barrier: `ready <rank> ...` from every rank (returned by rank), then `go` (plus `extra`)
    /// to all.
    @discardableResult
    func barrier(extra: String = "") throws -> [[Substring]] {
        let ready = try gather("ready")
        try broadcast(extra.isEmpty ? "go" : "go \(extra)")
        return ready
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
