import Transport
import Wire

/// One end of the control plane: a DEALER (worker, evaluator) or ROUTER (coordinator) socket
/// carrying `WireMessage` frames. Used by one thread only. Frames that do not decode are
/// reported through `onBadFrame` and dropped, never acted on.
final class ControlChannel {
    let socket: ZMQSocket
    let isRouter: Bool
    var onBadFrame: (String) -> Void = { _ in }
    /// With CURVE: the authenticated public key (Z85) of the sender of the last message received,
    /// as the ZAP handler named it; nil on plain TCP.
    private(set) var lastSenderKey: String?

    /// Messages queued at most per peer on the coordinator's socket, each way.
    static let routerSendQueue = 16
    static let routerReceiveQueue = 1000

    /// Frames larger than this are refused by the socket (ZMQ_MAXMSGSIZE).
    static let maximumFrameBytes = WireCodec.maximumFrameBytes

    init(context: ZMQContext, router: Bool) throws {
        isRouter = router
        socket = try ZMQSocket(context: context, type: router ? .router : .dealer)
        try socket.set(.maxMessageSize, Self.maximumFrameBytes + 64)
        try socket.set(.linger, 1000)
        // The coordinator's ROUTER drops what it would queue beyond `routerSendQueue` messages for
        // one peer, so a peer that asks and never reads costs at most that many chunks
        // (``ChunkPacing``); an honest peer never has more than a few in flight. Incoming, a
        // peer that floods meets TCP back-pressure instead of this process's memory. A worker's
        // DEALER queues only its own few messages.
        try socket.set(.sendHighWaterMark, router ? Self.routerSendQueue : 0)
        try socket.set(.receiveHighWaterMark, router ? Self.routerReceiveQueue : 0)
    }

    func send(_ message: WireMessage, generation: UInt64 = 0, to peer: [UInt8]? = nil) throws {
        let frame = try WireCodec.encode(message, generation: generation)
        if isRouter {
            guard let peer else { preconditionFailure("a router needs the peer's identity") }
            try socket.sendMultipart([peer, frame])
        } else {
            _ = try socket.send(frame)
        }
    }

    /// The next well-formed message (and, on a router, its sender), or nil when nothing valid
    /// arrived within the deadline.
    func receive(timeoutMilliseconds: Int) throws -> (peer: [UInt8], header: WireHeader, message: WireMessage)? {
        guard let (parts, senderKey) = try socket.receiveMultipartWithUserID(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        lastSenderKey = senderKey.flatMap { $0.isEmpty ? nil : $0 }
        let peer = isRouter ? (parts.first ?? []) : []
        guard let frame = isRouter ? (parts.count == 2 ? parts[1] : nil) : (parts.count == 1 ? parts[0] : nil) else {
            onBadFrame("dropped a message of \(parts.count) parts (expected \(isRouter ? 2 : 1))")
            return nil
        }
        do {
            let (header, message) = try WireCodec.decode(frame)
            return (peer, header, message)
        } catch {
            onBadFrame("dropped a bad frame of \(frame.count) bytes: \(error)")
            return nil
        }
    }
}
