#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A small HTTP/1.1 server for `/healthz`, `/status` and `/metrics` (``StatusRoutes``): POSIX
/// sockets, one background thread, one request per connection, then close.
///
/// It never holds up the training loop: its thread only copies the snapshot (under the
/// board's lock, no I/O inside). A client is given `clientTimeoutSeconds` to send a request
/// head of at most `maximumRequestBytes`; a slower or larger one is answered 408 or 431.
public final class StatusServer: @unchecked Sendable {
    public static let maximumRequestBytes = 8192
    public static let clientTimeoutSeconds = 2

    /// The address actually bound, e.g. `127.0.0.1:40123` (the port chosen when 0 was asked for).
    public let boundAddress: String
    public var port: Int { Int(boundAddress.split(separator: ":").last!)! }

    private let fd: Int32
    private let snapshot: @Sendable () -> StatusSnapshot
    private let version: String
    private let stopLock = NSLock()
    private var stopping = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// Binds and listens on `listen` (`HOST:PORT`; HOST an IPv4 address or name, `0.0.0.0` for
    /// every interface; PORT 0 for any free port). Call ``start()`` to serve.
    public init(listen: String, version: String, snapshot: @escaping @Sendable () -> StatusSnapshot) throws(StatusServerError) {
        guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...]) else {
            throw .badAddress(listen, "expected HOST:PORT with PORT 0...65535")
        }
        let host = String(listen[..<colon])
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        if host.isEmpty || host == "*" {
            address.sin_addr.s_addr = INADDR_ANY
        } else if inet_pton(AF_INET, host, &address.sin_addr) != 1 {
            var hints = addrinfo()
            hints.ai_family = AF_INET
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &result) == 0, let info = result else {
                throw .badAddress(listen, "cannot resolve host '\(host)' to an IPv4 address")
            }
            defer { freeaddrinfo(result) }
            info.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address.sin_addr = $0.pointee.sin_addr }
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let e = errno
            close(fd)
            throw .bind(listen, String(cString: strerror(e)))
        }
        guard Glibc.listen(fd, 16) == 0 else {
            let e = errno
            close(fd)
            throw .system("listen", e)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        var ip = actual.sin_addr
        inet_ntop(AF_INET, &ip, &text, socklen_t(INET_ADDRSTRLEN))
        self.boundAddress = "\(text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }):\(UInt16(bigEndian: actual.sin_port))"
        self.fd = fd
        self.snapshot = snapshot
        self.version = version
    }

    deinit {
        stop()
        close(fd)
    }

    /// Starts the serving thread (once).
    public func start() {
        guard thread == nil else { return }
        let thread = Thread { [self] in
            serve()
            finished.signal()
        }
        thread.name = "cifake status server"
        self.thread = thread
        thread.start()
    }

    /// Stops accepting and waits for the thread (at most one client timeout).
    public func stop() {
        let wasRunning: Bool = stopLock.withLock {
            defer { stopping = true }
            return !stopping && thread != nil
        }
        if wasRunning { finished.wait() }
    }

    private var isStopping: Bool { stopLock.withLock { stopping } }

    private func serve() {
        while !isStopping {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 200) > 0 else { continue }
            let client = accept(fd, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var timeout = timeval(tv_sec: Self.clientTimeoutSeconds, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        let response: HTTPResponse
        while true {
            switch HTTPRequestHead.parse(received) {
            case .request(let head):
                response = StatusRoutes.respond(to: head, snapshot: snapshot, version: version)
            case .malformed(let why):
                response = HTTPResponse(status: 400, body: "bad request: \(why)\n")
            case .incomplete:
                if received.count >= Self.maximumRequestBytes {
                    response = HTTPResponse(status: 431, body: "request head larger than \(Self.maximumRequestBytes) bytes\n")
                    break
                }
                let want = min(buffer.count, Self.maximumRequestBytes - received.count)
                let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, want, 0) }
                if n > 0 {
                    received += buffer[0..<n]
                    continue
                }
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    response = HTTPResponse(status: 408, body: "no complete request within \(Self.clientTimeoutSeconds) s\n")
                    break
                }
                return  // the client closed or failed: nothing to answer
            }
            break
        }
        let bytes = response.bytes
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
        // A lingering close: read what the client still sends (briefly, boundedly) so that
        // closing with unread bytes does not reset the connection before it read the answer.
        shutdown(client, Int32(SHUT_WR))
        var linger = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &linger, socklen_t(MemoryLayout<timeval>.size))
        var drained = 0
        while drained < 1 << 16 {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            drained += n
        }
    }
}
