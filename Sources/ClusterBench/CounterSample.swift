/// The hosts' `eth0` counters and the workers' CPU times, read at one moment, with the newest
/// step the step log showed then.
public struct CounterSample: Sendable, Equatable {
    /// The newest completed step when the counters were read.
    public var step: Int
    /// Seconds since the Unix epoch of the reading.
    public var time: Double
    /// One per worker host, in host order.
    public var workers: [LinkCounters]
    public var coordinator: LinkCounters
    /// CPU seconds (user + system, all threads) each worker process has used, in host order.
    public var workerCPUSeconds: [Double]

    public init(step: Int, time: Double, workers: [LinkCounters], coordinator: LinkCounters, workerCPUSeconds: [Double]) {
        self.step = step
        self.time = time
        self.workers = workers
        self.coordinator = coordinator
        self.workerCPUSeconds = workerCPUSeconds
    }

    /// CPU seconds of a process from its `/proc/PID/stat` line: utime + stime (fields 14 and 15,
    /// counted after the parenthesised command name, which may hold spaces) over the clock's ticks.
    public static func cpuSeconds(procStat line: String, ticksPerSecond: Double) throws(ClusterBenchError) -> Double {
        guard let close = line.lastIndex(of: ")") else {
            throw .unreadable(what: "/proc/PID/stat", expected: "pid (comm) state ...", found: String(line.prefix(100)))
        }
        let fields = line[line.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): utime is field 14, stime field 15.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw .unreadable(what: "/proc/PID/stat", expected: "utime and stime in fields 14 and 15", found: String(line.prefix(100)))
        }
        return (user + system) / ticksPerSecond
    }
}
