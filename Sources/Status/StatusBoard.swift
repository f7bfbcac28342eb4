import Foundation

/// The one place a process's status lives: the training loop writes it (`update`), the status
/// server's thread copies it (`snapshot`). A lock held for a copy, never across I/O, so the
/// writer never waits for a client.
public final class StatusBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var value: StatusSnapshot

    public init(_ initial: StatusSnapshot) { value = initial }

    public func update(_ change: (inout StatusSnapshot) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        change(&value)
    }

    public var snapshot: StatusSnapshot {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
