#if canImport(Glibc)
import Glibc
#endif

/// What the kernel knows about one of this process's TCP connections (Linux `TCP_INFO`), found
/// by its peer's address. libzmq owns its sockets' file descriptors and exposes none, so the
/// connection is looked up among the process's descriptors (`/proc/self/fd`) by `getpeername`,
/// and only read, never touched otherwise.
///
/// Why: in a ring all-reduce every rank waits about as long as every other (the ring runs at the
/// pace of its slowest link, and the wait spreads to all ranks within a step), so no rank's own
/// timings tell which link is slow. The sender's kernel does know: `tcpi_busy_time` is the time
/// the connection had data in flight, unacknowledged. Over a fast link that is a few
/// milliseconds per step; over a slow one, nearly the whole all-reduce.
public enum TCPConnectionInfo {
    /// Cumulative `tcpi_busy_time` of the connection on `descriptor`, in seconds; nil when the
    /// kernel does not report it (before Linux 4.10) or the descriptor is not a TCP socket.
    public static func busySeconds(descriptor: Int32) -> Double? {
        // struct tcp_info (linux/tcp.h, a stable ABI): u64 tcpi_busy_time at byte offset 168.
        let busyOffset = 168
        var buffer = [UInt8](repeating: 0, count: 232)
        var length = socklen_t(buffer.count)
        let status = buffer.withUnsafeMutableBytes { getsockopt(descriptor, Int32(IPPROTO_TCP), TCP_INFO, $0.baseAddress, &length) }
        guard status == 0, Int(length) >= busyOffset + 8 else { return nil }
        let micros = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: busyOffset, as: UInt64.self) }
        return Double(micros) / 1e6
    }

    /// The descriptor of this process's TCP connection whose peer is `host:port` (IPv4 or IPv6
    /// literal, or a name resolved once by the caller), or nil.
    public static func descriptor(peerHost host: String, port: UInt16) -> Int32? {
        guard let names = try? directoryEntries("/proc/self/fd") else { return nil }
        for name in names {
            guard let fd = Int32(name), fd > 2, isTCP(fd), let peer = peerAddress(fd) else { continue }
            if peer.port == port && peer.host == host { return fd }
        }
        return nil
    }

    /// The peer of `fd` as a numeric host and a port, if it is a connected IP socket.
    public static func peerAddress(_ fd: Int32) -> (host: String, port: UInt16)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let got = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard got == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let resolved = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &text, socklen_t(text.count), &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard resolved == 0, let port = UInt16(String(cString: service)) else { return nil }
        return (String(cString: text), port)
    }

    /// The numeric address `host` resolves to (itself when it already is one).
    public static func numericHost(_ host: String) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let info = result else { return nil }
        defer { freeaddrinfo(result) }
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 else { return nil }
        return String(cString: text)
    }

    private static func isTCP(_ fd: Int32) -> Bool {
        var type: Int32 = 0, protocolNumber: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0, type == Int32(SOCK_STREAM.rawValue) else { return false }
        length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocolNumber, &length) == 0 else { return false }
        return protocolNumber == Int32(IPPROTO_TCP)
    }

    private static func directoryEntries(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
