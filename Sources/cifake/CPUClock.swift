import Foundation

/// CPU time consumed so far, seconds: what a benchmark got of the cores, beside its wall time.
enum CPUClock {
    /// This process, all threads (ZeroMQ's I/O threads included).
    static func processSeconds() -> Double { seconds(CLOCK_PROCESS_CPUTIME_ID) }

    /// The children this process has waited for, all threads of each.
    static func waitedChildrenSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
    }

    /// The calling thread only.
    static func threadSeconds() -> Double { seconds(CLOCK_THREAD_CPUTIME_ID) }

    private static func seconds(_ clock: clockid_t) -> Double {
        var now = timespec()
        clock_gettime(clock, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }
}
