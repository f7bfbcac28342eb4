import Synchronization

/// Watches a client socket's connections to its server and says why they do not get through.
///
/// libzmq retries a refused connection forever without a word to the application: a worker whose
/// key the coordinator does not accept would wait in silence until some timeout, and then blame
/// the network. The socket's monitor does know: the ZAP handler's refusal reaches the client as
/// an authentication failure, a CURVE client meeting a plain server (or the other way round) as a
/// mechanism mismatch, and a wrong server key as connections the server closes during the
/// handshake. `check()` reads those events without blocking, on the socket's owner thread.
public final class HandshakeWatch {
    /// Why the server does not accept this client.
    public enum Refusal: Sendable, Equatable {
        /// The server's ZAP handler refused this client's key (the ZAP status code, e.g. 400).
        case keyRefused(status: Int)
        /// One side uses CURVE, the other plain TCP.
        case mechanismMismatch
        /// The server closed this many connections in a row before the handshake completed: it
        /// could not read the client's hello, which is sealed to the server key the client was given.
        case closedDuringHandshake(times: Int)
        /// Another protocol error in the handshake (a ZMQ_PROTOCOL_ERROR_* code).
        case protocolError(code: Int)
    }

    /// Connections closed during the handshake, in a row, before that counts as a refusal
    /// (a server restarting closes one or two).
    public static let closesBeforeVerdict = 3

    private let reader: ZMQSocket
    private var diagnosis = Diagnosis()

    /// Call on the socket's owner thread, before `connect`.
    public init(_ socket: ZMQSocket, context: ZMQContext) throws(ZMQError) {
        let endpoint = "inproc://cifake-handshake-\(Self.counter.add(1, ordering: .relaxed).newValue)"
        try socket.monitor(endpoint, events: [.connected, .disconnected, .handshakeSucceeded, .handshakeFailedNoDetail,
                                              .handshakeFailedProtocol, .handshakeFailedAuth])
        reader = try ZMQSocket(context: context, type: .pair)
        try reader.set(.linger, 0)
        try reader.connect(endpoint)
    }

    deinit { reader.close() }

    private static let counter = Atomic<Int>(0)

    /// Whether some connection completed its handshake.
    public var hasSucceeded: Bool { diagnosis.succeeded }

    /// Reads the events that arrived; the refusal they show, if any (once per new evidence).
    public func check() -> Refusal? {
        var verdict: Refusal?
        while let parts = try? reader.receiveMultipart(timeoutMilliseconds: 0), let event = ZMQSocket.monitorEvent(parts) {
            verdict = diagnosis.observe(event.event, value: event.value) ?? verdict
        }
        return verdict
    }

    /// The pure part: events in, a refusal out.
    public struct Diagnosis: Sendable {
        public private(set) var succeeded = false
        private var handshaking = false
        private var closesInARow = 0

        public init() {}

        public mutating func observe(_ event: ZMQMonitorEvents, value: Int) -> Refusal? {
            switch event {
            case .connected:
                handshaking = true
            case .handshakeSucceeded:
                succeeded = true
                handshaking = false
                closesInARow = 0
            case .handshakeFailedAuth:
                handshaking = false
                return .keyRefused(status: value)
            case .handshakeFailedProtocol:
                handshaking = false
                return value == ZMQMonitorEvents.mechanismMismatch ? .mechanismMismatch : .protocolError(code: value)
            case .handshakeFailedNoDetail, .disconnected:
                guard handshaking || event == .handshakeFailedNoDetail else { return nil }
                handshaking = false
                closesInARow += 1
                if closesInARow >= HandshakeWatch.closesBeforeVerdict { return .closedDuringHandshake(times: closesInARow) }
            default:
                break
            }
            return nil
        }
    }
}
