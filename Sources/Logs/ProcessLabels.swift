import Foundation

/// The labels of this process's log lines, changed as it learns its rank and generation and
/// read by every line (a lock held for a copy). One process has one identity, so there is one
/// shared instance, like swift-log's one logging system.
public final class ProcessLabels: @unchecked Sendable {
    public static let shared = ProcessLabels(LogLabels(role: "cifake"))

    private let lock = NSLock()
    private var value: LogLabels

    public init(_ labels: LogLabels) { value = labels }

    public var current: LogLabels { lock.withLock { value } }

    public func update(_ change: (inout LogLabels) -> Void) {
        lock.withLock { change(&value) }
    }
}
