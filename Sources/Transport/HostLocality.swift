#if canImport(Glibc)
import Glibc
#endif

/// Where a ZeroMQ Unix socket in Linux's abstract namespace (`ipc://@NAME`) can be reached from:
/// processes of the same kernel boot in the same network namespace. Two ring neighbours with the
/// same locality connect through such a socket instead of TCP: same security as loopback TCP
/// (CURVE applies alike), no file to clean up, and no TCP stack on the path, which is what limits
/// an all-reduce between processes that share a host's cores.
public enum HostLocality {
    /// "BOOT_ID/net:[INODE]" of this process; empty where `/proc` does not say (then every ring
    /// link uses TCP).
    public static func current() -> String {
        guard let boot = readFirstLine("/proc/sys/kernel/random/boot_id"), !boot.isEmpty,
              let namespace = readLink("/proc/self/ns/net"), !namespace.isEmpty else { return "" }
        return "\(boot)/\(namespace)"
    }

    /// A fresh abstract-namespace endpoint for one socket of this process, e.g.
    /// `ipc://@cifake-ring-4242-9f3a61c0`.
    public static func abstractEndpoint(_ purpose: String) -> String {
        let nonce = String(UInt32.random(in: .min ... .max), radix: 16)
        return "ipc://@cifake-\(purpose)-\(getpid())-\(nonce)"
    }

    private static func readFirstLine(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 128)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: bytes[..<count], as: UTF8.self).split(separator: "\n").first.map(String.init)
    }

    private static func readLink(_ path: String) -> String? {
        var bytes = [CChar](repeating: 0, count: 256)
        let count = bytes.withUnsafeMutableBufferPointer { readlink(path, $0.baseAddress!, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: bytes[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
