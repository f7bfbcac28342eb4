#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The standard process metrics of Prometheus's client libraries, read from `/proc`:
/// CPU seconds, resident memory, start time and open file descriptors. Parsing is pure (tested
/// on text); ``read()`` does the I/O, on the status server's thread when `/metrics` is asked for.
public struct ProcessMetrics: Sendable, Equatable {
    /// User plus system CPU time, in seconds.
    public var cpuSeconds: Double
    public var residentBytes: Double
    /// Unix time the process started, in seconds.
    public var startTimeSeconds: Double
    public var openFileDescriptors: Int?

    public init(cpuSeconds: Double, residentBytes: Double, startTimeSeconds: Double, openFileDescriptors: Int?) {
        self.cpuSeconds = cpuSeconds
        self.residentBytes = residentBytes
        self.startTimeSeconds = startTimeSeconds
        self.openFileDescriptors = openFileDescriptors
    }

    /// This process's, or nil where `/proc` cannot be read.
    public static func read() -> ProcessMetrics? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let system = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        // Listing the folder opens one descriptor more, which is in the list.
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count).map { $0 - 1 }
        return parse(stat: stat, systemStat: system, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))),
                     pageSize: Double(sysconf(Int32(_SC_PAGESIZE))), openFileDescriptors: fds)
    }

    /// From `/proc/self/stat` (fields after the parenthesised command: utime 14, stime 15,
    /// starttime 22 in ticks since boot, rss 24 in pages) and `/proc/stat`'s `btime` (boot, Unix
    /// seconds). nil if either is not as the kernel writes it.
    public static func parse(stat: String, systemStat: String, ticksPerSecond: Double, pageSize: Double,
                             openFileDescriptors: Int?) -> ProcessMetrics? {
        // The command may hold spaces and parentheses: the fields start after the last ')'.
        guard let close = stat.lastIndex(of: ")"), ticksPerSecond > 0 else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): field n is fields[n - 3].
        func field(_ n: Int) -> Double? { fields.count > n - 3 ? Double(fields[n - 3]) : nil }
        guard let utime = field(14), let stime = field(15), let start = field(22), let rss = field(24),
              let btimeLine = systemStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let boot = Double(btimeLine.dropFirst(6).trimmingCharacters(in: .whitespaces)) else { return nil }
        return ProcessMetrics(cpuSeconds: (utime + stime) / ticksPerSecond, residentBytes: rss * pageSize,
                              startTimeSeconds: boot + start / ticksPerSecond, openFileDescriptors: openFileDescriptors)
    }
}
