import Collective
#if canImport(Glibc)
import Glibc
#endif

/// A `RingLink` over ZeroMQ: a PULL socket bound for the predecessor and a PUSH socket connected
/// to the successor. Frames are two-part messages (40-byte header, then the payload sent
/// zero-copy from the caller's buffer); payloads are received into one reused message, so no
/// receive allocates fresh pages.
///
/// Threading rule: used by one thread at a time (the one running the all-reduce), a dedicated
/// `Thread`, never Swift's cooperative pool. Hence `@unchecked Sendable`: it may be handed over.
public final class ZeroMQRingLink: RingLink, @unchecked Sendable {
    private let context: ZMQContext
    private let inbound: ZMQSocket
    private var outbound: ZMQSocket
    private let lingerMilliseconds: Int
    private let kernelBufferBytes: Int?
    private let releases = ZMQReleaseCounter()
    private let headerPart = ZMQMessage()
    private let payloadPart = ZMQMessage()
    /// The endpoint the predecessor connects to, with the port the OS chose.
    public let boundEndpoint: String

    /// Binds the inbound (PULL) socket.
    /// - Parameters:
    ///   - bind: `tcp://127.0.0.1:*` (port chosen at run time) or a fixed `tcp://host:port`.
    ///   - maxFrameBytes: inbound messages larger than this drop the connection (ZMQ_MAXMSGSIZE).
    ///   - lingerMilliseconds: how long unsent frames are kept after `close`.
    ///   - kernelBufferBytes: SO_SNDBUF / SO_RCVBUF of both sockets; nil keeps the OS default.
    ///   - curve: this worker's CURVE keys: the inbound socket becomes a CURVE server (the
    ///     context needs a `ZAPHandler` that authorizes the predecessor) and the outbound one a
    ///     client (give the successor's public key to `connect`). Nil: plain TCP.
    ///   - zap: with `curve`, reports failed handshakes on the inbound socket.
    public init(context: ZMQContext, bind: String = "tcp://127.0.0.1:*", maxFrameBytes: Int = 64 << 20,
                lingerMilliseconds: Int = 2_000, kernelBufferBytes: Int? = nil,
                curve: ZMQCurveKeyPair? = nil, zap: ZAPHandler? = nil) throws(ZMQError) {
        self.context = context
        self.lingerMilliseconds = lingerMilliseconds
        self.kernelBufferBytes = kernelBufferBytes
        inbound = try ZMQSocket(context: context, type: .pull)
        outbound = try Self.makeOutbound(context: context, lingerMilliseconds: lingerMilliseconds, kernelBufferBytes: kernelBufferBytes)
        // Queued frames are bounded by the protocol (at most about one segment per link in
        // flight) and zero-copy frames cost no memory, so no high-water mark may block a send:
        // a blocked send in a ring can deadlock all ranks.
        try inbound.set(.receiveHighWaterMark, 0)
        try inbound.set(.maxMessageSize, maxFrameBytes)
        try inbound.set(.linger, 0)
        if let kernelBufferBytes { try inbound.set(.receiveBuffer, kernelBufferBytes) }
        self.curve = curve
        if let curve {
            try inbound.makeCurveServer(curve)
            try zap?.watch(inbound, name: "ring")
        }
        try inbound.bind(bind)
        boundEndpoint = try inbound.lastEndpoint()
    }

    /// Binds the inbound socket to a second endpoint, for a predecessor on this host: a Unix
    /// socket in the abstract namespace (see `HostLocality`). Returns it as bound.
    public func bindLocal(_ endpoint: String) throws(ZMQError) -> String {
        try inbound.bind(endpoint)
        return try inbound.lastEndpoint()
    }

    private static func makeOutbound(context: ZMQContext, lingerMilliseconds: Int, kernelBufferBytes: Int?) throws(ZMQError) -> ZMQSocket {
        let socket = try ZMQSocket(context: context, type: .push)
        try socket.set(.sendHighWaterMark, 0)
        try socket.set(.linger, lingerMilliseconds)
        if let kernelBufferBytes { try socket.set(.sendBuffer, kernelBufferBytes) }
        return socket
    }

    /// A new ring generation: drops whatever is still queued for the old successor (its frames
    /// belong to an aborted all-reduce) and connects a fresh socket to the new one. The inbound
    /// socket, and so this worker's endpoint, stays.
    public func replaceSuccessor(_ endpoint: String, serverPublicKey: String? = nil) throws(ZMQError) {
        try outbound.set(.linger, 0)
        outbound.close()
        outbound = try Self.makeOutbound(context: context, lingerMilliseconds: lingerMilliseconds, kernelBufferBytes: kernelBufferBytes)
        try connect(successor: endpoint, serverPublicKey: serverPublicKey)
    }

    /// This link's CURVE keys, nil on plain TCP.
    public let curve: ZMQCurveKeyPair?

    /// Connects the outbound (PUSH) socket to the successor's `boundEndpoint`. With CURVE,
    /// `serverPublicKey` is the successor's public key (required).
    public func connect(successor endpoint: String, serverPublicKey: String? = nil) throws(ZMQError) {
        if let curve {
            guard let serverPublicKey, ZMQCurve.decode(serverPublicKey) != nil else {
                throw ZMQError(operation: "connect \(endpoint) with CURVE: the successor's public key is missing or not Z85", errno: EINVAL)
            }
            try outbound.makeCurveClient(curve, serverPublicKey: serverPublicKey)
        }
        try outbound.connect(endpoint)
        successor = Self.hostAndPort(endpoint)
    }

    /// The successor's numeric address and port, once connected.
    private var successor: (host: String, port: UInt16)?
    private var successorDescriptor: Int32?

    /// How long the TCP connection to the successor has had data in flight (unacknowledged), in
    /// seconds since it opened, from the kernel's `TCP_INFO` (see `TCPConnectionInfo`); nil before
    /// the connection is up, or where the kernel does not say. The difference between two calls is
    /// the time the link was busy carrying this rank's frames: the slowness of this one link,
    /// which the all-reduce's own waits cannot show.
    public func successorBusySeconds() -> Double? {
        guard let successor else { return nil }
        // libzmq may reconnect (a new descriptor); check the peer on every call.
        if let fd = successorDescriptor, let peer = TCPConnectionInfo.peerAddress(fd), peer == successor {
            return TCPConnectionInfo.busySeconds(descriptor: fd)
        }
        successorDescriptor = TCPConnectionInfo.descriptor(peerHost: successor.host, port: successor.port)
        return successorDescriptor.flatMap(TCPConnectionInfo.busySeconds(descriptor:))
    }

    /// `tcp://HOST:PORT` (HOST a name, an IPv4 address or a bracketed IPv6 one) as a numeric host and port.
    static func hostAndPort(_ endpoint: String) -> (host: String, port: UInt16)? {
        var rest = Substring(endpoint)
        if rest.hasPrefix("tcp://") { rest = rest.dropFirst(6) }
        guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]) else { return nil }
        var host = String(rest[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let numeric = TCPConnectionInfo.numericHost(host) else { return nil }
        return (numeric, port)
    }

    /// Closes both sockets. Unsent frames linger (see `init`).
    public func close() {
        inbound.close()
        outbound.close()
    }

    public func send(header: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) throws {
        try outbound.send(header, more: true)
        try outbound.sendZeroCopy(payload, releases: releases)
    }

    public func receive(timeoutMilliseconds: Int,
                        _ body: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) throws -> Void) throws -> Bool {
        guard try inbound.receive(into: headerPart, timeoutMilliseconds: timeoutMilliseconds) else { return false }
        if headerPart.hasMore {
            // Multipart messages arrive whole: the payload is already queued.
            _ = try inbound.receive(into: payloadPart)
            // Drain any unexpected extra parts so the next receive starts at a header.
            if payloadPart.hasMore {
                let extra = ZMQMessage()
                repeat { _ = try inbound.receive(into: extra) } while extra.hasMore
            }
            try body(headerPart.bytes, payloadPart.mutableBytes)
        } else {
            payloadPart.clear()
            try body(headerPart.bytes, UnsafeMutableRawBufferPointer(start: nil, count: 0))
        }
        return true
    }

    /// Moves the received payload message into the outbound socket: libzmq sends the very bytes it
    /// received (and frees them when sent), so the payload is never copied in user space.
    public func forwardReceived(header: UnsafeRawBufferPointer) throws {
        try outbound.send(header, more: true)
        try outbound.send(payloadPart)
    }

    public func waitUntilSendsReleased(timeoutMilliseconds: Int) throws -> Bool {
        releases.waitUntilAllReleased(timeoutMilliseconds: timeoutMilliseconds)
    }
}
