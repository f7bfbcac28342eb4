import Foundation

/// Who holds a lock, as written into the lock file and shown to a process that finds it taken:
/// "pid 4242 on node-3 since 2025-01-01T12:00:00Z".
public enum LockHolder {
    /// This process, holding since `started`.
    public static func thisProcess(since started: Date) -> String {
        "pid \(getpid()) on \(hostName()) since \(timestamp(started))"
    }

    /// ISO 8601, UTC.
    public static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown host" }
        return String(cString: buffer)
    }
}
