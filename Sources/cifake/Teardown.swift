import Foundation
import Training

/// What `bench cluster` must undo however it ends (normally, on an error, or on SIGINT/SIGTERM):
/// its child processes, stopped first, then its network namespaces, deleted, then its folder.
///
/// Whatever makes something to undo runs inside `guarded`, under the same lock as the teardown:
/// a signal arriving mid-way waits for the namespace or process being made and then undoes it
/// too, and once the teardown has begun nothing new is made.
final class Teardown: @unchecked Sendable {
    private let lock = NSLock()
    private var processes: [Process] = []
    private var namespaces: [String] = []
    private var folder: String?
    private var begun = false
    private let ip: String

    struct Interrupted: Error, CustomStringConvertible {
        var description: String { "interrupted" }
    }

    init(ip: String) { self.ip = ip }

    /// Runs `body` unless the teardown has begun (then throws `Interrupted`).
    func guarded<T>(_ body: () throws -> T) throws -> T {
        try lock.withLock {
            guard !begun else { throw Interrupted() }
            return try body()
        }
    }

    /// Whether the teardown has begun (waits for it to end if it is under way): a process that
    /// exited then was stopped by it, which is no failure to report.
    var hasBegun: Bool { lock.withLock { begun } }

    /// Call inside `guarded`, right after the thing exists.
    func adopt(_ process: Process) { processes.append(process) }
    func adoptNamespace(_ name: String) { namespaces.append(name) }
    func adoptFolder(_ path: String) { folder = path }
    /// Keeps the folder (its logs explain a failure).
    func keepFolder() { lock.withLock { folder = nil } }

    /// On SIGINT, SIGTERM or SIGHUP (even if this process was started with them ignored, as a
    /// shell's background job is): say so, tear down, exit 128 + the signal's number. The handler
    /// only writes the signal's number into a pipe; a thread of its own reads it and does the
    /// work. A closed standard output (SIGPIPE) fails the write instead of killing the process
    /// before its teardown. (Handlers, unlike ignored signals, do not pass on to the children.)
    func handleSignals() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        signalPipe = fds[1]
        for number in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] {
            var action = sigaction()
            if number == SIGPIPE { action.__sigaction_handler.sa_handler = noAction } else { action.__sigaction_handler.sa_handler = forwardSignal }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
        let reader = fds[0]
        Thread.detachNewThread { [self] in
            var byte: UInt8 = 0
            while read(reader, &byte, 1) != 1 {}
            let number = Int32(byte)
            let name = [SIGINT: "SIGINT", SIGTERM: "SIGTERM", SIGHUP: "SIGHUP"][number] ?? "signal \(number)"
            log.notice("interrupted (\(name)): stopping the processes, deleting the namespaces")
            run()
            exit(128 + number)
        }
    }

    /// Stops the processes (SIGTERM, SIGKILL after 3 s), deletes the namespaces and the folder.
    /// Only the first call does anything.
    func run() {
        lock.lock()
        defer { lock.unlock() }
        guard !begun else { return }
        begun = true
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(3)
        while processes.contains(where: \.isRunning) && Date() < deadline { usleep(20_000) }
        for p in processes where p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        // Deleting a namespace deletes its links, their peers and their qdiscs.
        for name in namespaces { _ = try? Tool.run(ip, ["netns", "del", name]) }
        if let folder { try? FileManager.default.removeItem(atPath: folder) }
    }
}

/// The write end of the teardown's signal pipe (set once, before any handler is installed).
nonisolated(unsafe) private var signalPipe: Int32 = -1

/// The signal handler: one `write`, which is async-signal-safe.
private func forwardSignal(_ number: Int32) {
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(signalPipe, &byte, 1)
}

private func noAction(_: Int32) {}
