#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A request to stop, made by SIGTERM or SIGINT (what Kubernetes, Slurm, systemd and Ctrl-C
/// send), that a loop checks between units of work: the work in flight finishes, the loop writes
/// what it must (a final checkpoint) and the process exits with ``gracefulExitStatus``.
///
/// - The first signal sets ``request`` and starts the grace period; if the process has not
///   exited when it ends, it exits at once with status 128 + the signal's number (what a shell
///   shows for a process the signal killed), without running anything further.
/// - A second signal (a second or more after the first) ends the process the same way at once
///   (Ctrl-C twice: "now").
///
/// The handlers are `sigaction` handlers that write the signal's number into a pipe (one
/// `write`, async-signal-safe); a thread of its own reads it and does the rest. Handlers, unlike
/// ignored signals, are reset in child processes, so a role that launches others (the local
/// launcher) passes nothing odd on to them. One instance per process: ``install(graceSeconds:log:)``.
public final class StopSignal: @unchecked Sendable {
    /// The exit status of a process that stopped on request after saving its state:
    /// `EX_TEMPFAIL` of sysexits.h, "try again later", distinct from a failure (1), a bad
    /// configuration (2) and a death by signal (128 + N).
    public static let gracefulExitStatus: Int32 = 75
    /// Seconds between the signal and the forced exit when nothing says otherwise: under
    /// Kubernetes' default `terminationGracePeriodSeconds` of 30, before its SIGKILL.
    public static let defaultGraceSeconds = 25.0

    /// What made the request.
    public struct Request: Sendable, Equatable {
        /// `SIGTERM` or `SIGINT`.
        public var signal: String
        /// The signal's number.
        public var number: Int32
        /// What a shell shows for a process the signal killed: 128 + its number.
        public var exitStatus: Int32 { 128 + number }
    }

    private let lock = NSLock()
    private var requests = StopRequests()
    private let graceSeconds: Double
    private let log: @Sendable (String) -> Void

    private init(graceSeconds: Double, log: @escaping @Sendable (String) -> Void) {
        self.graceSeconds = graceSeconds
        self.log = log
    }

    /// The first signal received, or nil while none has been.
    public var request: Request? { lock.withLock { requests.first } }
    public var isRequested: Bool { request != nil }

    nonisolated(unsafe) private static var installed: StopSignal?
    private static let installLock = NSLock()

    /// Installs the handlers for SIGTERM and SIGINT (once per process; a second call returns the
    /// first instance unchanged).
    ///
    /// - Parameters:
    ///   - graceSeconds: from the first signal to the forced exit (> 0).
    ///   - log: where the stop's events are told (standard error, for a person and the log).
    public static func install(graceSeconds: Double = defaultGraceSeconds, log: @escaping @Sendable (String) -> Void) -> StopSignal {
        installLock.withLock {
            if let installed { return installed }
            let stop = StopSignal(graceSeconds: graceSeconds, log: log)
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else {
                log("warning: cannot install the SIGTERM/SIGINT handlers (pipe: \(String(cString: strerror(errno)))): a signal ends the process at once")
                return stop
            }
            // Not inherited by child processes.
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            stopSignalPipe = fds[1]
            for number in [SIGTERM, SIGINT] {
                var action = sigaction()
                action.__sigaction_handler.sa_handler = forwardStopSignal
                sigemptyset(&action.sa_mask)
                action.sa_flags = SA_RESTART
                sigaction(number, &action, nil)
            }
            let reader = fds[0]
            let thread = Thread {
                var byte: UInt8 = 0
                while true {
                    let n = read(reader, &byte, 1)
                    if n == 1 { stop.received(Int32(byte)) } else if n < 0 && errno != EINTR { return }
                }
            }
            thread.name = "cifake stop signal"
            thread.start()
            installed = stop
            return stop
        }
    }

    private func received(_ number: Int32) {
        let name = Self.name(number)
        let outcome = lock.withLock { requests.receive(number, atNanoseconds: DispatchTime.now().uptimeNanoseconds) }
        switch outcome {
        case .sameRequest:
            return
        case .exitNow(let status):
            log("\(name) again: exiting now, without a final checkpoint (status \(status))")
            _exit(status)
        case .first(let request):
            log("\(request.signal): finishing the step in flight, then writing a final checkpoint (grace period \(Self.seconds(graceSeconds)) s; a second signal exits at once)")
            let grace = graceSeconds
            DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [log] in
                log("\(name): the grace period of \(Self.seconds(grace)) s is over before the process finished: exiting now (status \(request.exitStatus))")
                _exit(request.exitStatus)
            }
        }
    }

    public static func name(_ number: Int32) -> String {
        switch number {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        default: "signal \(number)"
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// What the signals received so far ask for (pure; the handler's thread feeds it, time passed in).
public struct StopRequests: Sendable, Equatable {
    /// What a signal asks for.
    public enum Outcome: Sendable, Equatable {
        /// The first: finish the step in flight, save, exit with the graceful status.
        case first(StopSignal.Request)
        /// A repeat within ``repeatWindowNanoseconds`` of the first: the same request (Ctrl-C
        /// reaches every process of the terminal's group, and the launcher passes it on too).
        case sameRequest
        /// A later one: exit at once with 128 + this signal's number.
        case exitNow(status: Int32)
    }

    public static let repeatWindowNanoseconds: UInt64 = 1_000_000_000

    /// The first signal received, or nil while none has been.
    public private(set) var first: StopSignal.Request?
    private var firstAt: UInt64 = 0

    public init() {}

    public mutating func receive(_ number: Int32, atNanoseconds now: UInt64) -> Outcome {
        guard first == nil else {
            return now &- firstAt < Self.repeatWindowNanoseconds ? .sameRequest : .exitNow(status: 128 + number)
        }
        let request = StopSignal.Request(signal: StopSignal.name(number), number: number)
        first = request
        firstAt = now
        return .first(request)
    }
}

/// The write end of the stop signal's pipe (set once, before any handler is installed).
nonisolated(unsafe) private var stopSignalPipe: Int32 = -1

/// The signal handler: one `write`, which is async-signal-safe.
private func forwardStopSignal(_ number: Int32) {
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(stopSignalPipe, &byte, 1)
}
