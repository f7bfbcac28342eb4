import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The ZAP (ZeroMQ Authentication Protocol, RFC 27) handler of one context: a thread with a REP
/// socket bound at `inproc://zeromq.zap.01`, which every CURVE server socket of the context asks,
/// once per connection, whether to accept the client's public key. It accepts exactly the keys in
/// its authorized set (which may change while it runs) and gives the key as the connection's
/// `User-Id`, so a receiver can read who sent a message.
///
/// It also watches server sockets (`watch`) for handshakes that fail before ZAP is asked, such as
/// a client that does not use CURVE at all. Every refusal is logged with the peer's address and,
/// when there is one, its key; repeats from the same address and key (a refused client reconnects
/// every 100 ms) are summed up at most every `repeatLogSeconds`.
///
/// Create it before binding any CURVE server socket of the context: without a handler, libzmq
/// accepts every client key. `stop()` (or deinit) ends the thread and closes its sockets.
public final class ZAPHandler: @unchecked Sendable {
    public static let endpoint = "inproc://zeromq.zap.01"

    private struct Shared {
        var authorized: Set<String>
        var newMonitors: [(socket: ZMQSocket, name: String)] = []
        var accepted = 0
        var refused = 0
        var stopping = false
    }

    private let shared: Mutex<Shared>
    private let log: @Sendable (String) -> Void
    private let finished = DispatchSemaphore(value: 0)
    private let context: ZMQContext
    /// Seconds between log lines about the same refused address and key.
    public let repeatLogSeconds: Double
    private static let monitorCounter = Atomic<Int>(0)

    /// Binds the ZAP endpoint (fails with EADDRINUSE if the context already has a handler) and
    /// starts the thread.
    /// - Parameters:
    ///   - authorized: Z85 public keys of the clients to accept.
    ///   - log: called on the handler's thread.
    public init(context: ZMQContext, authorized: Set<String>, repeatLogSeconds: Double = 10,
                log: @escaping @Sendable (String) -> Void) throws(ZMQError) {
        self.context = context
        self.log = log
        self.repeatLogSeconds = repeatLogSeconds
        shared = Mutex(Shared(authorized: authorized))
        let socket = try ZMQSocket(context: context, type: .reply)
        try socket.set(.linger, 0)
        try socket.bind(Self.endpoint)
        let thread = Thread { [self] in
            serve(socket)
            finished.signal()
        }
        thread.name = "zap"
        thread.start()
    }

    deinit { stop() }

    /// Replaces the set of accepted client keys (connections already made are not affected).
    public func authorize(_ keys: Set<String>) {
        shared.withLock { $0.authorized = keys }
    }

    /// Clients accepted and refused by ZAP so far.
    public var counts: (accepted: Int, refused: Int) { shared.withLock { ($0.accepted, $0.refused) } }

    /// Reports failed handshakes on `socket` (a CURVE server). Call on the socket's owner thread,
    /// before `bind`. `name` appears in the log ("control", "ring").
    public func watch(_ socket: ZMQSocket, name: String) throws(ZMQError) {
        let endpoint = "inproc://cifake-monitor-\(getpid())-\(Self.monitorCounter.wrappingAdd(1, ordering: .relaxed).newValue)"
        try socket.monitor(endpoint, events: [.accepted, .disconnected, .handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth])
        let reader = try ZMQSocket(context: context, type: .pair)
        try reader.set(.linger, 0)
        try reader.connect(endpoint)
        shared.withLock { $0.newMonitors.append((reader, name)) }
    }

    /// Ends the thread (within about 100 ms) and waits for it. Idempotent.
    public func stop() {
        let wasStopping = shared.withLock { s in
            defer { s.stopping = true }
            return s.stopping
        }
        if !wasStopping { finished.wait() }
    }

    // MARK: The handler's thread

    private struct Watched {
        let socket: ZMQSocket
        let name: String
        /// Peer addresses of accepted connections, by file descriptor.
        var peers: [Int: String] = [:]
        /// A handshake failure waiting for its connection's `disconnected` event (which names the
        /// descriptor, and so the peer address).
        var failure: String?
    }

    /// Last log time and repeats since, by "address key".
    private var lastLogged: [String: (time: Double, repeats: Int)] = [:]

    private func serve(_ zap: ZMQSocket) {
        var watched: [Watched] = []
        defer {
            zap.close()
            for w in watched { w.socket.close() }
        }
        while true {
            let (stopping, added) = shared.withLock { s in
                defer { s.newMonitors = [] }
                return (s.stopping, s.newMonitors)
            }
            if stopping { return }
            watched += added.map { Watched(socket: $0.socket, name: $0.name) }
            do {
                let ready = try ZMQSocket.pollReadable([zap] + watched.map(\.socket), timeoutMilliseconds: 100)
                if ready[0], let request = try zap.receiveMultipart(timeoutMilliseconds: 0) {
                    try zap.sendMultipart(answer(request))
                }
                for i in watched.indices where ready[i + 1] {
                    while let parts = try watched[i].socket.receiveMultipart(timeoutMilliseconds: 0) {
                        if let event = ZMQSocket.monitorEvent(parts) { handle(event, in: &watched[i]) }
                    }
                }
            } catch {
                if error.isContextTerminated { return }
                log("security: ZAP handler: \(error)")
                usleep(100_000)
            }
        }
    }

    /// The reply to one ZAP request: version, request id, status code and text, user id, metadata.
    private func answer(_ request: [[UInt8]]) -> [[UInt8]] {
        func text(_ s: String) -> [UInt8] { Array(s.utf8) }
        guard request.count >= 6 else {
            log("security: ZAP request of \(request.count) parts ignored")
            return [text("1.0"), request.count > 1 ? request[1] : [], text("500"), text("malformed request"), [], []]
        }
        let id = request[1]
        guard String(decoding: request[0], as: UTF8.self) == "1.0" else {
            return [text("1.0"), id, text("500"), text("unsupported ZAP version"), [], []]
        }
        let address = String(decoding: request[3], as: UTF8.self)
        let mechanism = String(decoding: request[5], as: UTF8.self)
        guard mechanism == "CURVE", request.count == 7, let key = ZMQCurve.encode(request[6]) else {
            refuse(address: address, key: nil, why: "mechanism \(mechanism) is not CURVE")
            return [text("1.0"), id, text("400"), text("CURVE required"), [], []]
        }
        let isKnown = shared.withLock { s in
            let known = s.authorized.contains(key)
            if known { s.accepted += 1 } else { s.refused += 1 }
            return known
        }
        guard isKnown else {
            refuse(address: address, key: key, why: "unknown public key")
            return [text("1.0"), id, text("400"), text("unknown public key"), [], []]
        }
        return [text("1.0"), id, text("200"), text("OK"), text(key), []]
    }

    private func refuse(address: String, key: String?, why: String) {
        let subject = "\(address) \(key ?? "-")"
        let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        if var last = lastLogged[subject], now - last.time < repeatLogSeconds {
            last.repeats += 1
            lastLogged[subject] = last
            return
        }
        let repeats = lastLogged[subject]?.repeats ?? 0
        lastLogged[subject] = (now, 0)
        let again = repeats > 0 ? " (again; \(repeats) more attempt\(repeats == 1 ? "" : "s") refused since the last report)" : ""
        log("security: refused a connection from \(address) with \(key.map { "public key \($0)" } ?? "no CURVE key"): \(why)\(again)")
    }

    private func handle(_ e: (event: ZMQMonitorEvents, value: Int, endpoint: String), in w: inout Watched) {
        switch e.event {
        case .accepted:
            w.peers[e.value] = Self.peerAddress(fd: Int32(e.value)) ?? "an address already gone"
        case .handshakeFailedProtocol:
            if let pending = w.failure { report(pending, address: "an unknown address", on: w) }
            w.failure = e.value == ZMQMonitorEvents.mechanismMismatch
                ? "the client does not use CURVE (mechanism mismatch)"
                : "protocol error 0x\(String(e.value, radix: 16)) in the handshake"
        case .handshakeFailedNoDetail:
            if let pending = w.failure { report(pending, address: "an unknown address", on: w) }
            w.failure = "the CURVE handshake failed"
        case .handshakeFailedAuth:
            // ZAP said no and logged it with the address and key.
            w.failure = nil
        case .disconnected:
            let address = w.peers.removeValue(forKey: e.value)
            if let pending = w.failure {
                w.failure = nil
                report(pending, address: address ?? "an unknown address", on: w)
            }
        default:
            break
        }
    }

    private func report(_ why: String, address: String, on w: Watched) {
        shared.withLock { $0.refused += 1 }
        // Ports change on every reconnect: repeats are counted by host.
        let host = address.split(separator: ":").dropLast().joined(separator: ":")
        refuse(address: host.isEmpty ? address : host, key: nil, why: "\(why), on the \(w.name) socket")
    }

    /// "host:port" of the peer of a connected TCP socket.
    static func peerAddress(fd: Int32) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
        }
        guard ok else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p -> String? in
                    var address = p.pointee.sin_addr
                    guard inet_ntop(AF_INET, &address, &text, socklen_t(text.count)) != nil else { return nil }
                    return "\(String(cString: text)):\(UInt16(bigEndian: p.pointee.sin_port))"
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p -> String? in
                    var address = p.pointee.sin6_addr
                    guard inet_ntop(AF_INET6, &address, &text, socklen_t(text.count)) != nil else { return nil }
                    return "[\(String(cString: text))]:\(UInt16(bigEndian: p.pointee.sin6_port))"
                }
            }
        default:
            return nil
        }
    }
}
