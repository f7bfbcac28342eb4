import ArgumentParser
import Foundation
import Transport

/// The rank side of `RankLauncher`: a DEALER connected to the parent's ROUTER, carrying one-frame
/// text messages. Every receive has a deadline.
final class RankChannel {
    let rank: Int
    /// The rank's ZeroMQ context, for its ring link too.
    let context: ZMQContext
    /// Deadline of every receive from the parent, milliseconds.
    let timeoutMilliseconds: Int
    private let control: ZMQSocket

    init(_ arguments: RankArguments, ioThreads: Int = 1, timeoutMilliseconds: Int) throws {
        rank = arguments.rank
        self.timeoutMilliseconds = timeoutMilliseconds
        context = try ZMQContext(ioThreads: ioThreads)
        control = try ZMQSocket(context: context, type: .dealer)
        try control.set(.linger, 1_000)
        try control.connect(arguments.coordinator)
    }

    func send(_ text: String) throws {
        try control.send(Array(text.utf8))
    }

    func receive() throws -> String {
        guard let parts = try control.receiveMultipart(timeoutMilliseconds: timeoutMilliseconds) else {
            throw RankError.silent(from: "the coordinator (rank \(rank) waiting)", waitedMilliseconds: timeoutMilliseconds)
        }
        return String(decoding: parts.last ?? [], as: UTF8.self)
    }

    /// Receives `<kind> ...`; returns the words after the kind.
    func receive(_ kind: String) throws -> [Substring] {
        let text = try receive()
        let words = text.split(separator: " ")
        guard words.first.map(String.init) == kind else {
            throw RankError.unexpected(rank: rank, expected: "\(kind) ...", found: String(text.prefix(80)))
        }
        return Array(words.dropFirst())
    }

    /// Reports `link`'s endpoint (and with CURVE its public key), then connects it to the
    /// successor the parent names. With CURVE the parent also names the successor's and the
    /// predecessor's keys: the link trusts only the first, `zap` accepts only the second.
    func joinRing(_ link: ZeroMQRingLink, zap: ZAPHandler? = nil) throws {
        try send("hello \(rank) \(link.boundEndpoint)" + (link.curve.map { " \($0.publicKey)" } ?? ""))
        let words = try receive("ring")
        let expected = link.curve == nil ? 1 : 3
        guard words.count == expected else {
            throw RankError.unexpected(rank: rank, expected: link.curve == nil ? "ring <endpoint>" : "ring <endpoint> <successor key> <predecessor key>",
                                       found: "ring " + words.joined(separator: " "))
        }
        if words.count == 3 {
            // Every rank trusts its predecessor before any connects (ZAP would refuse it).
            zap?.authorize([String(words[2])])
            try barrier()
        }
        try link.connect(successor: String(words[0]), serverPublicKey: words.count == 3 ? String(words[1]) : nil)
    }

    /// A barrier: says `ready <rank>` (plus `extra`), waits for `go`; returns the words after `go`.
    @discardableResult
    func barrier(extra: String = "") throws -> [Substring] {
        try send(extra.isEmpty ? "ready \(rank)" : "ready \(rank) \(extra)")
        return try receive("go")
    }

    /// Runs `body`; an error is reported to the parent (`error <rank> <text>`) and on standard
    /// error, and the process exits with status 1.
    func reportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            _ = try? send("error \(rank) \(error)")
            log.error("rank \(rank): \(error)")
            throw ExitCode(1)
        }
    }
}
