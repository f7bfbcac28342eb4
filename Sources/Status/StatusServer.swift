#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A small HTTP/1.1 server for `/healthz`, `/status` and `/metrics` (``StatusRoutes``) that no
/// client can starve: `/healthz` is a liveness probe (the Kubernetes manifest uses it), and a
/// probe that fails restarts the process.
///
/// - Concurrent: one thread runs a `poll(2)` loop over non-blocking sockets. Each client is a
///   ``StatusConnection`` (a buffer of at most ``maximumRequestBytes`` and a deadline), so an
///   idle or trickling client costs a slot, never the thread. A pool of threads would do no
///   better for three routes answered in microseconds from a snapshot, and its size is exactly
///   what an attacker fills. Not SwiftNIO: one more dependency, and minutes more of every build
///   on small machines, for three routes; this is a few hundred lines over POSIX calls.
/// - A whole-request deadline: ``clientTimeoutSeconds`` from connecting to a complete request
///   head (408 after it), however the bytes trickle in; as long again to take the answer.
/// - A connection cap, ``maximumConnections``: a new connection beyond it takes the place of the
///   client that has waited longest for its request (answered 503 and closed), so a flood of
///   idle connections never shuts the newest probe out.
/// - Bounded requests: a head longer than ``maximumRequestBytes`` is answered 431; bodies are
///   never read (at most 64 KiB is discarded while closing).
/// - HEAD is answered as GET without the body.
///
/// It never holds up the training loop: its thread only copies the snapshot (under the
/// board's lock, no I/O inside).
public final class StatusServer: @unchecked Sendable {
    public static let maximumRequestBytes = 8192
    public static let clientTimeoutSeconds = 2
    public static let maximumConnections = 64

    /// The address actually bound, e.g. `127.0.0.1:40123` (the port chosen when 0 was asked for).
    public let boundAddress: String
    public var port: Int { Int(boundAddress.split(separator: ":").last!)! }

    private let fd: Int32
    private let snapshot: @Sendable () -> StatusSnapshot
    private let program: ProgramIdentity
    private let stopLock = NSLock()
    private var stopping = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// Binds and listens on `listen` (`HOST:PORT`; HOST an IPv4 address or name, `0.0.0.0` for
    /// every interface; PORT 0 for any free port). Call ``start()`` to serve.
    public init(listen: String, program: ProgramIdentity, snapshot: @escaping @Sendable () -> StatusSnapshot) throws(StatusServerError) {
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
        // Non-blocking: the loop accepts until the queue is empty, never waits in accept.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        guard Glibc.listen(fd, SOMAXCONN) == 0 else {
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
        self.program = program
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

    /// Stops serving (closing every client) and waits for the thread (at most 0.2 s).
    public func stop() {
        let wasRunning: Bool = stopLock.withLock {
            defer { stopping = true }
            return !stopping && thread != nil
        }
        if wasRunning { finished.wait() }
    }

    private var isStopping: Bool { stopLock.withLock { stopping } }

    /// A client: its socket and its machine.
    private struct Client {
        var fd: Int32
        var connection: StatusConnection
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    private func serve() {
        var clients: [Client] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        defer { for client in clients { close(client.fd) } }
        while !isStopping {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            for client in clients {
                let events = (client.connection.wantsToRead ? POLLIN : 0) | (client.connection.wantsToWrite ? POLLOUT : 0)
                fds.append(pollfd(fd: client.fd, events: Int16(events), revents: 0))
            }
            // Wake for the nearest deadline, and at least every 0.2 s to see `stop()`.
            let nearest = clients.map(\.connection.deadline).min().map { max(0, $0 - Self.now()) } ?? 0.2
            _ = poll(&fds, nfds_t(fds.count), Int32(min(nearest, 0.2) * 1000) + 1)
            let now = Self.now()
            for i in clients.indices where fds[i + 1].revents != 0 {
                exchange(&clients[i], readable: fds[i + 1].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0,
                         writable: fds[i + 1].revents & Int16(POLLOUT | POLLERR) != 0, buffer: &buffer, now: now)
            }
            for i in clients.indices { clients[i].connection.tick(now: now) }
            clients.removeAll { client in
                guard client.connection.phase == .done else { return false }
                close(client.fd)
                return true
            }
            if fds[0].revents & Int16(POLLIN) != 0 { acceptWaiting(into: &clients, buffer: &buffer) }
        }
    }

    /// Accepts the connections waiting (a bounded batch per turn), making room at the cap.
    private func acceptWaiting(into clients: inout [Client], buffer: inout [UInt8]) {
        for _ in 0..<Self.maximumConnections / 4 {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            let now = Self.now()
            if clients.count >= Self.maximumConnections {
                // The client that has waited longest for its request gives up its place, with a 503.
                let waiting = clients.indices.filter { clients[$0].connection.phase == .reading }
                guard let oldest = waiting.min(by: { clients[$0].connection.deadline < clients[$1].connection.deadline }) else {
                    // Every slot is answering already (each ends within its deadline): refuse this one.
                    refuse(client)
                    continue
                }
                refuse(clients[oldest].fd)
                clients.remove(at: oldest)
            }
            var new = Client(fd: client, connection: StatusConnection(now: now, timeout: Double(Self.clientTimeoutSeconds),
                                                                       maximumRequestBytes: Self.maximumRequestBytes))
            // A probe's request is usually here already: answer it before another turn can evict it.
            exchange(&new, readable: true, writable: false, buffer: &buffer, now: now)
            if new.connection.phase == .done { close(client) } else { clients.append(new) }
        }
    }

    /// 503 (as much of it as the socket takes at once) and close.
    private func refuse(_ client: Int32) {
        var connection = StatusConnection(now: 0, timeout: 0, maximumRequestBytes: 0)
        connection.respond(HTTPResponse(status: 503, body: "busy: \(Self.maximumConnections) connections open; try again\n"), now: 0)
        let bytes = connection.output
        _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        close(client)
    }

    /// Reads and writes what the socket allows now, without blocking.
    private func exchange(_ client: inout Client, readable: Bool, writable: Bool, buffer: inout [UInt8], now: Double) {
        if readable {
            while client.connection.wantsToRead {
                let want = min(buffer.count, client.connection.readAllowance)
                let n = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, want, Int32(MSG_DONTWAIT)) }
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno != EAGAIN && errno != EWOULDBLOCK { client.connection.failed() }
                    break
                }
                client.connection.receive(buffer[0..<n], now: now) { [snapshot, program] head in
                    StatusRoutes.respond(to: head, snapshot: snapshot, program: program, process: ProcessMetrics.read)
                }
                if n == 0 { break }
            }
        }
        // Write as soon as there is an answer (it usually fits the socket's buffer at once).
        if writable || client.connection.wantsToWrite {
            while client.connection.wantsToWrite {
                let output = client.connection.output, from = client.connection.sent
                let n = output[from...].withUnsafeBytes { send(client.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno != EAGAIN && errno != EWOULDBLOCK { client.connection.failed() }
                    break
                }
                client.connection.didSend(n, now: now)
                // A lingering close: our side is done; read what the client still sends.
                if client.connection.phase == .lingering { shutdown(client.fd, Int32(SHUT_WR)) }
            }
        }
    }
}
