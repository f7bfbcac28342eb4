import Dispatch
import Foundation

/// One dedicated thread that runs one job at a time for its owner: blocking ZeroMQ calls must not
/// run on Swift's cooperative pool. `start` hands a job over; `wait` blocks until it has finished
/// and rethrows its error. The semaphores order memory: what the owner wrote before `start` is
/// visible to the job, and what the job wrote is visible to the owner after `wait`.
final class DedicatedThread: @unchecked Sendable {
    /// The state shared with the thread; the thread holds only this, so the owner can be freed.
    private final class Slot: @unchecked Sendable {
        let begin = DispatchSemaphore(value: 0)
        let end = DispatchSemaphore(value: 0)
        var job: (() throws -> Void)?
        var error: Error?
        var stopping = false
    }

    private let slot = Slot()
    private(set) var running = false

    init(name: String) {
        let slot = self.slot
        let thread = Thread {
            while true {
                slot.begin.wait()
                if slot.stopping { return }
                do { try slot.job?() } catch { slot.error = error }
                slot.job = nil
                slot.end.signal()
            }
        }
        thread.name = name
        thread.start()
    }

    deinit {
        slot.stopping = true
        slot.begin.signal()
    }

    /// Runs `job` on the thread. One job at a time: `wait` for the previous one first.
    func start(_ job: @escaping () throws -> Void) {
        precondition(!running, "DedicatedThread: start while a job runs")
        slot.error = nil
        slot.job = job
        running = true
        slot.begin.signal()
    }

    /// Whether the running job has finished (true when none runs), without blocking; rethrows
    /// its error once.
    func poll() throws -> Bool {
        guard running else { return true }
        guard slot.end.wait(timeout: .now()) == .success else { return false }
        running = false
        if let error = slot.error {
            slot.error = nil
            throw error
        }
        return true
    }

    /// Waits for the running job (if any) and rethrows its error. With `between`, the wait is cut
    /// into slices of `sliceMilliseconds` and `between` runs on the waiting thread after each
    /// one that ends with the job still running.
    func wait(sliceMilliseconds: Int = 100, between: (() -> Void)? = nil) throws {
        guard running else { return }
        if let between {
            while slot.end.wait(timeout: .now() + .milliseconds(sliceMilliseconds)) == .timedOut { between() }
        } else {
            slot.end.wait()
        }
        running = false
        if let error = slot.error {
            slot.error = nil
            throw error
        }
    }
}
