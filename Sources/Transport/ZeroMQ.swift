// The only file that imports CZeroMQ: a small typed wrapper over libzmq's C API.
import CZeroMQ
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A failed libzmq call: the operation, `zmq_errno()` read right after it, and libzmq's text.
public struct ZMQError: Error, Equatable, CustomStringConvertible {
    /// What was attempted, e.g. `bind tcp://127.0.0.1:*`.
    public let operation: String
    /// The errno value (`EAGAIN`, `EADDRINUSE`, `ETERM`, ...).
    public let errno: Int32
    /// `zmq_strerror(errno)`.
    public let message: String

    public init(operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
        self.message = String(cString: zmq_strerror(errno))
    }

    /// The error of the libzmq call that just failed.
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        ZMQError(operation: operation(), errno: zmq_errno())
    }

    public var description: String { "zmq \(operation): \(message) (errno \(errno))" }

    /// True when the context was terminated (ETERM): the socket's owner should close it and end.
    public var isContextTerminated: Bool { errno == ETERM }
}

/// A libzmq context. Contexts are thread-safe, so this class is Sendable. `zmq_ctx_term` runs when
/// the last reference goes away; every socket keeps its context alive, so that never blocks on a
/// socket still open.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// - Parameter ioThreads: libzmq I/O threads (they move bytes between sockets and the kernel).
    public init(ioThreads: Int = 1) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw .last("zmq_ctx_new") }
        self.handle = handle
        guard zmq_ctx_set(handle, ZMQ_IO_THREADS, Int32(ioThreads)) == 0 else {
            let error = ZMQError.last("set ZMQ_IO_THREADS \(ioThreads)")
            zmq_ctx_term(handle)
            throw error
        }
    }

    deinit {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    /// libzmq's version as (major, minor, patch).
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }
}

/// ZeroMQ socket types used by this project.
public enum ZMQSocketType: Sendable {
    case pair, publisher, subscriber, request, reply, dealer, router, pull, push

    var raw: Int32 {
        switch self {
        case .pair: return ZMQ_PAIR
        case .publisher: return ZMQ_PUB
        case .subscriber: return ZMQ_SUB
        case .request: return ZMQ_REQ
        case .reply: return ZMQ_REP
        case .dealer: return ZMQ_DEALER
        case .router: return ZMQ_ROUTER
        case .pull: return ZMQ_PULL
        case .push: return ZMQ_PUSH
        }
    }
}

/// Integer socket options.
public enum ZMQIntOption: Sendable {
    /// Messages queued for sending before `send` blocks (0 = unlimited).
    case sendHighWaterMark
    /// Messages queued on receipt before the peer is throttled (0 = unlimited).
    case receiveHighWaterMark
    /// Milliseconds queued messages are kept after close (-1 forever, 0 drop at once).
    case linger
    /// Milliseconds a blocking receive waits (-1 forever).
    case receiveTimeout
    /// Milliseconds a blocking send waits (-1 forever).
    case sendTimeout
    /// Largest inbound message in bytes; bigger ones drop the connection (-1 = no limit).
    case maxMessageSize
    /// 1 to allow IPv6 endpoints.
    case ipv6
    /// 1 to act as CURVE server (needs `curveSecretKey`).
    case curveServer
    /// Kernel send buffer size in bytes (-1 = OS default).
    case sendBuffer
    /// Kernel receive buffer size in bytes (-1 = OS default).
    case receiveBuffer
    /// 1 to queue messages only to completed connections.
    case immediate

    var raw: Int32 {
        switch self {
        case .sendHighWaterMark: return ZMQ_SNDHWM
        case .receiveHighWaterMark: return ZMQ_RCVHWM
        case .linger: return ZMQ_LINGER
        case .receiveTimeout: return ZMQ_RCVTIMEO
        case .sendTimeout: return ZMQ_SNDTIMEO
        case .maxMessageSize: return ZMQ_MAXMSGSIZE
        case .ipv6: return ZMQ_IPV6
        case .curveServer: return ZMQ_CURVE_SERVER
        case .sendBuffer: return ZMQ_SNDBUF
        case .receiveBuffer: return ZMQ_RCVBUF
        case .immediate: return ZMQ_IMMEDIATE
        }
    }

    /// libzmq declares ZMQ_MAXMSGSIZE as int64_t, the others as int.
    var isInt64: Bool { self == .maxMessageSize }
}

/// Byte-string socket options.
public enum ZMQBytesOption: Sendable {
    /// Long-term public key: 32 bytes, or 40 characters of Z85.
    case curvePublicKey
    /// Long-term secret key: 32 bytes, or 40 characters of Z85.
    case curveSecretKey
    /// The server's public key, set on a CURVE client.
    case curveServerKey
    /// Socket identity (ROUTER peers see it as the first frame).
    case routingID
    /// SUB filter prefix.
    case subscribe

    var raw: Int32 {
        switch self {
        case .curvePublicKey: return ZMQ_CURVE_PUBLICKEY
        case .curveSecretKey: return ZMQ_CURVE_SECRETKEY
        case .curveServerKey: return ZMQ_CURVE_SERVERKEY
        case .routingID: return ZMQ_ROUTING_ID
        case .subscribe: return ZMQ_SUBSCRIBE
        }
    }
}

/// A CURVE key pair in Z85 text (40 characters each).
public struct ZMQCurveKeyPair: Sendable, Equatable {
    public let publicKey: String
    public let secretKey: String

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Generates a fresh key pair (libzmq built with libsodium).
    public static func generate() throws(ZMQError) -> ZMQCurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw .last("zmq_curve_keypair") }
        return ZMQCurveKeyPair(publicKey: String(cString: publicKey), secretKey: String(cString: secretKey))
    }
}

/// CURVE key helpers (Z85 text, 40 characters for 32 bytes).
public enum ZMQCurve {
    /// The 32 bytes a Z85 key stands for, or nil if `text` is not 40 characters of Z85.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 40 else { return nil }
        let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)
        guard utf8.allSatisfy({ alphabet.contains($0) }) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        let ok = text.withCString { zmq_z85_decode(&bytes, $0) != nil }
        return ok ? bytes : nil
    }

    /// The Z85 text of a 32-byte key.
    public static func encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count == 32 else { return nil }
        var text = [CChar](repeating: 0, count: 41)
        guard zmq_z85_encode(&text, bytes, 32) != nil else { return nil }
        return String(cString: text)
    }

    /// The public key belonging to a Z85 secret key.
    public static func publicKey(fromSecret secret: String) throws(ZMQError) -> String {
        var text = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&text, secret) == 0 else { throw .last("zmq_curve_public") }
        return String(cString: text)
    }
}

/// Socket events a monitor reports (`zmq_socket_monitor`).
public struct ZMQMonitorEvents: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// A connection was accepted on a bound endpoint; the value is its file descriptor.
    public static let accepted = ZMQMonitorEvents(rawValue: ZMQ_EVENT_ACCEPTED)
    /// A connect()ed socket reached its server (before any security handshake).
    public static let connected = ZMQMonitorEvents(rawValue: ZMQ_EVENT_CONNECTED)
    /// A connection closed; the value is its file descriptor.
    public static let disconnected = ZMQMonitorEvents(rawValue: ZMQ_EVENT_DISCONNECTED)
    public static let handshakeSucceeded = ZMQMonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
    /// The security handshake failed for another reason (e.g. a bad CURVE server key).
    public static let handshakeFailedNoDetail = ZMQMonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
    /// The handshake broke the protocol (e.g. mechanism mismatch); the value is a ZMQ_PROTOCOL_ERROR_*.
    public static let handshakeFailedProtocol = ZMQMonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
    /// ZAP refused the peer; the value is the ZAP status code.
    public static let handshakeFailedAuth = ZMQMonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

    /// ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: one side uses CURVE, the other does not.
    public static let mechanismMismatch = Int(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
}

/// Counts zero-copy payloads that libzmq has released, so the sender knows when a buffer may be
/// changed again. libzmq calls the release function on one of its I/O threads.
public final class ZMQReleaseCounter: Sendable {
    private let queuedCount = Atomic<Int>(0)
    private let releasedCount = Atomic<Int>(0)
    /// Signalled on every release, so a waiter sleeps instead of spinning (2 shared cores).
    private let releaseSignal = DispatchSemaphore(value: 0)

    public init() {}

    /// Payloads handed to libzmq so far.
    public var queued: Int { queuedCount.load(ordering: .acquiring) }
    /// Payloads libzmq has finished with so far.
    public var released: Int { releasedCount.load(ordering: .acquiring) }
    /// True when every queued payload has been released.
    public var allReleased: Bool { released == queued }

    func markQueued() { queuedCount.wrappingAdd(1, ordering: .releasing) }
    func markReleased() {
        releasedCount.wrappingAdd(1, ordering: .releasing)
        releaseSignal.signal()
    }

    /// Sleeps until `allReleased`, at most `timeoutMilliseconds`. Returns whether everything was
    /// released.
    public func waitUntilAllReleased(timeoutMilliseconds: Int) -> Bool {
        let deadline = DispatchTime.now() + .milliseconds(timeoutMilliseconds)
        while !allReleased {
            // Each release signals once; stale signals from earlier releases just loop again.
            if releaseSignal.wait(timeout: deadline) == .timedOut { return allReleased }
        }
        return true
    }
}

/// Called by libzmq (on an I/O thread) when it no longer needs a zero-copy payload. `hint` is a
/// retained `ZMQReleaseCounter`.
private let zeroCopyRelease: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, hint in
    guard let hint else { return }
    Unmanaged<ZMQReleaseCounter>.fromOpaque(hint).takeRetainedValue().markReleased()
}

/// A message owned on the heap (a `zmq_msg_t` must never be copied once initialised). Reuse one
/// for many receives: libzmq closes the previous content when a new part is received into it.
public final class ZMQMessage {
    let pointer: UnsafeMutablePointer<zmq_msg_t>

    public init() {
        pointer = .allocate(capacity: 1)
        zmq_msg_init(pointer)
    }

    deinit {
        zmq_msg_close(pointer)
        pointer.deallocate()
    }

    /// The bytes of the message; valid until the next receive into it or its deinit.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: zmq_msg_data(pointer), count: zmq_msg_size(pointer))
    }

    /// The bytes of a received message, to change in place (a received message owns its bytes:
    /// nothing else reads them).
    public var mutableBytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: zmq_msg_data(pointer), count: zmq_msg_size(pointer))
    }

    /// Releases the content; the message is then empty.
    public func clear() {
        zmq_msg_close(pointer)
        zmq_msg_init(pointer)
    }

    /// True when more parts of the same multipart message follow.
    public var hasMore: Bool { zmq_msg_more(pointer) != 0 }

    /// A copy of the bytes.
    public var array: [UInt8] { Array(bytes) }

    /// A metadata property of the last received part (`User-Id`, `Peer-Address`, ...), if set.
    public func property(_ name: String) -> String? {
        guard let value = zmq_msg_gets(pointer, name) else { return nil }
        return String(cString: value)
    }
}

/// A ZeroMQ socket.
///
/// Threading rule: a socket is used by ONE thread at a time (its owner). It may be created on one
/// thread and handed to another (hence `@unchecked Sendable`), but never used concurrently.
/// Blocking calls belong on dedicated threads, never on Swift's cooperative pool.
public final class ZMQSocket: @unchecked Sendable {
    /// Kept so the context outlives the socket.
    public let context: ZMQContext
    public let type: ZMQSocketType
    private var handle: UnsafeMutableRawPointer?
    /// Reused for zero-copy sends (close + init_data + send, no allocation).
    private let sendMessage = ZMQMessage()

    public init(context: ZMQContext, type: ZMQSocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.raw) else { throw .last("zmq_socket \(type)") }
        self.context = context
        self.type = type
        self.handle = handle
    }

    deinit { close() }

    /// Closes the socket (idempotent). Queued messages are kept for `linger` milliseconds.
    public func close() {
        if let handle {
            zmq_close(handle)
            self.handle = nil
        }
    }

    private func open(_ operation: @autoclosure () -> String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(operation: operation() + " on a closed socket", errno: ENOTSOCK) }
        return handle
    }

    /// Retries a call that fails with EINTR; returns its result or throws the failure.
    private func check(_ operation: @autoclosure () -> String, _ call: () -> Int32) throws(ZMQError) -> Int32 {
        while true {
            let result = call()
            if result >= 0 { return result }
            let code = zmq_errno()
            if code != EINTR { throw ZMQError(operation: operation(), errno: code) }
        }
    }

    // MARK: Endpoints

    /// Binds to an endpoint such as `tcp://127.0.0.1:*`; see `lastEndpoint` for the port chosen.
    public func bind(_ endpoint: String) throws(ZMQError) {
        let handle = try open("bind \(endpoint)")
        _ = try check("bind \(endpoint)") { zmq_bind(handle, endpoint) }
    }

    public func unbind(_ endpoint: String) throws(ZMQError) {
        let handle = try open("unbind \(endpoint)")
        _ = try check("unbind \(endpoint)") { zmq_unbind(handle, endpoint) }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        let handle = try open("connect \(endpoint)")
        _ = try check("connect \(endpoint)") { zmq_connect(handle, endpoint) }
    }

    public func disconnect(_ endpoint: String) throws(ZMQError) {
        let handle = try open("disconnect \(endpoint)")
        _ = try check("disconnect \(endpoint)") { zmq_disconnect(handle, endpoint) }
    }

    /// The endpoint of the last bind, with the real port, e.g. `tcp://127.0.0.1:41234`.
    public func lastEndpoint() throws(ZMQError) -> String {
        let handle = try open("get ZMQ_LAST_ENDPOINT")
        var buffer = [CChar](repeating: 0, count: 512)
        var size = buffer.count
        _ = try check("get ZMQ_LAST_ENDPOINT") { zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) }
        return String(cString: buffer)
    }

    // MARK: Options

    public func set(_ option: ZMQIntOption, _ value: Int) throws(ZMQError) {
        let handle = try open("set \(option)")
        if option.isInt64 {
            var v = Int64(value)
            _ = try check("set \(option) \(value)") { zmq_setsockopt(handle, option.raw, &v, MemoryLayout<Int64>.size) }
        } else {
            var v = Int32(clamping: value)
            _ = try check("set \(option) \(value)") { zmq_setsockopt(handle, option.raw, &v, MemoryLayout<Int32>.size) }
        }
    }

    public func get(_ option: ZMQIntOption) throws(ZMQError) -> Int {
        let handle = try open("get \(option)")
        if option.isInt64 {
            var v: Int64 = 0
            var size = MemoryLayout<Int64>.size
            _ = try check("get \(option)") { zmq_getsockopt(handle, option.raw, &v, &size) }
            return Int(v)
        }
        var v: Int32 = 0
        var size = MemoryLayout<Int32>.size
        _ = try check("get \(option)") { zmq_getsockopt(handle, option.raw, &v, &size) }
        return Int(v)
    }

    public func set(_ option: ZMQBytesOption, _ value: [UInt8]) throws(ZMQError) {
        let handle = try open("set \(option)")
        _ = try check("set \(option)") {
            value.withUnsafeBytes { zmq_setsockopt(handle, option.raw, $0.baseAddress, $0.count) }
        }
    }

    /// Sets a text option (e.g. a Z85 CURVE key) without its terminating NUL.
    public func set(_ option: ZMQBytesOption, _ value: String) throws(ZMQError) {
        try set(option, Array(value.utf8))
    }

    // MARK: Sending

    /// Sends (copies) one message part. Returns false only with `dontWait` when it would block.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
        let handle = try open("send")
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        while true {
            if zmq_send(handle, bytes.baseAddress, bytes.count, flags) >= 0 { return true }
            let code = zmq_errno()
            if code == EINTR { continue }
            if code == EAGAIN && dontWait { return false }
            throw ZMQError(operation: "send \(bytes.count) bytes", errno: code)
        }
    }

    @discardableResult
    public func send(_ bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
        var result: Result<Bool, ZMQError> = .success(false)
        bytes.withUnsafeBytes { raw in
            do throws(ZMQError) { result = .success(try send(raw, more: more, dontWait: dontWait)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// Sends all parts as one multipart message.
    public func sendMultipart(_ parts: [[UInt8]]) throws(ZMQError) {
        for (index, part) in parts.enumerated() {
            try send(part, more: index + 1 < parts.count)
        }
    }

    /// Sends `bytes` without copying: libzmq reads them on its I/O thread and bumps `releases`
    /// when done. The memory must stay valid and unchanged until then.
    public func sendZeroCopy(_ bytes: UnsafeRawBufferPointer, more: Bool = false, releases: ZMQReleaseCounter) throws(ZMQError) {
        let handle = try open("zero-copy send")
        let message = sendMessage.pointer
        zmq_msg_close(message)
        releases.markQueued()
        let hint = Unmanaged.passRetained(releases).toOpaque()
        guard zmq_msg_init_data(message, UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count,
                                zeroCopyRelease, hint) == 0 else {
            let error = ZMQError.last("zmq_msg_init_data \(bytes.count) bytes")
            Unmanaged<ZMQReleaseCounter>.fromOpaque(hint).release()
            releases.markReleased()
            zmq_msg_init(message)
            throw error
        }
        let flags = more ? ZMQ_SNDMORE : 0
        while zmq_msg_send(message, handle, flags) < 0 {
            let code = zmq_errno()
            if code == EINTR { continue }
            zmq_msg_close(message) // runs zeroCopyRelease
            zmq_msg_init(message)
            throw ZMQError(operation: "zero-copy send \(bytes.count) bytes", errno: code)
        }
    }

    /// Sends `message` itself, without copying its bytes: libzmq takes its content (and frees it
    /// once written), leaving `message` empty. On failure the content is released too.
    public func send(_ message: ZMQMessage, more: Bool = false) throws(ZMQError) {
        let handle = try open("send message")
        let count = zmq_msg_size(message.pointer)
        while zmq_msg_send(message.pointer, handle, more ? ZMQ_SNDMORE : 0) < 0 {
            let code = zmq_errno()
            if code == EINTR { continue }
            message.clear()
            throw ZMQError(operation: "send a message of \(count) bytes", errno: code)
        }
    }

    // MARK: Receiving

    /// Waits until a message can be received, at most `timeoutMilliseconds` (-1 forever).
    public func waitReadable(timeoutMilliseconds: Int) throws(ZMQError) -> Bool {
        let handle = try open("poll")
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(max(timeoutMilliseconds, 0)))
        while true {
            var wait = timeoutMilliseconds
            if timeoutMilliseconds >= 0 {
                let left = deadline - clock.now
                wait = max(0, Int(left.components.seconds) * 1000 + Int(left.components.attoseconds / 1_000_000_000_000_000))
            }
            let result = zmq_poll(&item, 1, wait)
            if result > 0 { return true }
            if result == 0 { return false }
            let code = zmq_errno()
            if code != EINTR { throw ZMQError(operation: "poll", errno: code) }
        }
    }

    /// Receives the next message part into a reused `message` (no copy; the previous content is
    /// released). With a timeout in milliseconds (nil = wait forever) returns false if nothing
    /// arrived in time.
    public func receive(into message: ZMQMessage, timeoutMilliseconds: Int? = nil) throws(ZMQError) -> Bool {
        let handle = try open("receive")
        // Fast path: a part already queued (always so for the 2nd..nth part of a multipart message).
        let firstFlags = timeoutMilliseconds == nil ? 0 : ZMQ_DONTWAIT
        while true {
            if zmq_msg_recv(message.pointer, handle, firstFlags) >= 0 { return true }
            let code = zmq_errno()
            if code == EINTR { continue }
            if code != EAGAIN || timeoutMilliseconds == nil { throw ZMQError(operation: "receive", errno: code) }
            break
        }
        guard let timeout = timeoutMilliseconds else { return false }
        // zmq_poll may report a socket readable when only its internal state changed (e.g. a
        // pipe attached once a CURVE handshake and its ZAP round trip finished): then the
        // receive finds nothing, and the wait goes on until the deadline.
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(max(timeout, 0)))
        while try waitReadable(timeoutMilliseconds: Self.milliseconds(until: deadline, clock)) {
            if zmq_msg_recv(message.pointer, handle, ZMQ_DONTWAIT) >= 0 { return true }
            let code = zmq_errno()
            if code == EINTR || code == EAGAIN {
                if clock.now >= deadline { return false }
                continue
            }
            throw ZMQError(operation: "receive", errno: code)
        }
        return false
    }

    /// Whole milliseconds left until `deadline` (0 when past).
    private static func milliseconds(until deadline: ContinuousClock.Instant, _ clock: ContinuousClock) -> Int {
        let left = deadline - clock.now
        return max(0, Int(left.components.seconds) * 1000 + Int(left.components.attoseconds / 1_000_000_000_000_000))
    }

    /// Receives one part into a caller buffer (copied). Returns the part's full size, which may
    /// exceed `buffer.count` (then the part was truncated), or nil on timeout (milliseconds;
    /// nil = wait forever).
    public func receive(into buffer: UnsafeMutableRawBufferPointer, timeoutMilliseconds: Int? = nil) throws(ZMQError) -> Int? {
        let handle = try open("receive")
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(max(timeoutMilliseconds ?? 0, 0)))
        if let timeout = timeoutMilliseconds, !(try waitReadable(timeoutMilliseconds: timeout)) { return nil }
        while true {
            let result = zmq_recv(handle, buffer.baseAddress, buffer.count, timeoutMilliseconds == nil ? 0 : ZMQ_DONTWAIT)
            if result >= 0 { return Int(result) }
            let code = zmq_errno()
            if code == EINTR { continue }
            if code == EAGAIN && timeoutMilliseconds != nil {
                // Readable only in appearance (see `receive(into:timeoutMilliseconds:)`): wait on.
                guard clock.now < deadline, try waitReadable(timeoutMilliseconds: Self.milliseconds(until: deadline, clock)) else { return nil }
                continue
            }
            throw ZMQError(operation: "receive into \(buffer.count) bytes", errno: code)
        }
    }

    /// Receives all parts of the next message, or nil on timeout (milliseconds; nil = forever).
    public func receiveMultipart(timeoutMilliseconds: Int? = nil) throws(ZMQError) -> [[UInt8]]? {
        try receiveMultipartWithUserID(timeoutMilliseconds: timeoutMilliseconds)?.parts
    }

    /// Like `receiveMultipart`, with the `User-Id` the ZAP handler gave the sender's connection
    /// (with CURVE in this project: the peer's authenticated public key), read from the last part.
    public func receiveMultipartWithUserID(timeoutMilliseconds: Int? = nil) throws(ZMQError) -> (parts: [[UInt8]], userID: String?)? {
        let message = ZMQMessage()
        guard try receive(into: message, timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        var parts = [message.array]
        while message.hasMore {
            _ = try receive(into: message)
            parts.append(message.array)
        }
        return (parts, message.property("User-Id"))
    }

    // MARK: Monitoring and polling

    /// Publishes this socket's `events` on a PAIR socket bound at `endpoint` (`inproc://...`);
    /// connect a `.pair` socket there and read two-part events with `ZMQSocket.monitorEvent`.
    public func monitor(_ endpoint: String, events: ZMQMonitorEvents) throws(ZMQError) {
        let handle = try open("monitor \(endpoint)")
        _ = try check("monitor \(endpoint)") { zmq_socket_monitor(handle, endpoint, events.rawValue) }
    }

    /// Decodes a monitor event (first part: 16-bit event, 32-bit value; second part: endpoint).
    public static func monitorEvent(_ parts: [[UInt8]]) -> (event: ZMQMonitorEvents, value: Int, endpoint: String)? {
        guard parts.count == 2, parts[0].count == 6 else { return nil }
        let event = UInt16(parts[0][0]) | UInt16(parts[0][1]) << 8
        let value = UInt32(parts[0][2]) | UInt32(parts[0][3]) << 8 | UInt32(parts[0][4]) << 16 | UInt32(parts[0][5]) << 24
        return (ZMQMonitorEvents(rawValue: Int32(event)), Int(value), String(decoding: parts[1], as: UTF8.self))
    }

    /// Waits until any of `sockets` can be read, at most `timeoutMilliseconds`; returns which can.
    /// Every socket must belong to the calling thread.
    public static func pollReadable(_ sockets: [ZMQSocket], timeoutMilliseconds: Int) throws(ZMQError) -> [Bool] {
        var items: [zmq_pollitem_t] = []
        for socket in sockets {
            items.append(zmq_pollitem_t(socket: try socket.open("poll"), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
        }
        while true {
            let result = zmq_poll(&items, Int32(items.count), timeoutMilliseconds)
            if result >= 0 { return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 } }
            let code = zmq_errno()
            if code != EINTR { throw ZMQError(operation: "poll", errno: code) }
        }
    }
}
