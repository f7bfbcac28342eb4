import ArgumentParser
import Foundation
import Transport
import Wire

/// The rank side of `RankLauncher`: a DEALER connected to the parent's ROUTER, carrying
/// `BenchControl` frames. Every receive has a deadline.
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

    func send(_ message: BenchControl) throws {
        try control.send(try BenchControlCodec.encode(message))
    }

    func receive() throws -> BenchControl {
        guard let parts = try control.receiveMultipart(timeoutMilliseconds: timeoutMilliseconds) else {
            throw RankError.silent(from: "the coordinator (rank \(rank) waiting)", waitedMilliseconds: timeoutMilliseconds)
        }
        do {
            return try BenchControlCodec.decode(parts.last ?? [])
        } catch {
            throw RankError.undecodable(rank: rank, error)
        }
    }

    /// Receives the message `value` accepts (nil: not the message expected here, described by
    /// `expected`, which fails the receive).
    func receive<Value>(_ expected: String, _ value: (BenchControl) -> Value?) throws -> Value {
        let message = try receive()
        guard let v = value(message) else { throw RankError.unexpected(rank: rank, expected: expected, found: "\(message)") }
        return v
    }

    /// Reports `link`'s endpoint (and with CURVE its public key), then connects it to the
    /// successor the parent names. With CURVE the parent also names the successor's and the
    /// predecessor's keys: the link trusts only the first, `zap` accepts only the second.
    func joinRing(_ link: ZeroMQRingLink, zap: ZAPHandler? = nil) throws {
        try send(.hello(rank: rank, endpoint: link.boundEndpoint, publicKey: link.curve?.publicKey))
        let curve = link.curve != nil
        let ring = try receive(curve ? "ring with the successor's and the predecessor's keys" : "ring without keys") {
            (m) -> (successor: String, successorKey: String?, predecessorKey: String?)? in
            guard case .ring(let successor, let successorKey, let predecessorKey) = m,
                  (successorKey != nil) == curve, (predecessorKey != nil) == curve else { return nil }
            return (successor, successorKey, predecessorKey)
        }
        if let predecessorKey = ring.predecessorKey {
            // Every rank trusts its predecessor before any connects (ZAP would refuse it).
            zap?.authorize([predecessorKey])
            try barrier()
        }
        try link.connect(successor: ring.successor, serverPublicKey: ring.successorKey)
    }

    /// A barrier: says `ready`, waits for `go`.
    func barrier() throws {
        try send(.ready(rank: rank))
        try receive("go") { $0 == .go ? () : nil }
    }

    /// Runs `body`; an error is reported to the parent (`failed`, naming this rank) and on
    /// standard error, and the process exits with status 1.
    func reportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            var text = "\(error)"
            while text.utf8.count > WireCodec.maximumStringBytes { text.removeLast() }
            _ = try? send(.failed(rank: rank, message: text))
            log.error("rank \(rank): \(error)")
            throw ExitCode(1)
        }
    }
}
