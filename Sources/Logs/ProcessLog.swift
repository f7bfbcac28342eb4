import Logging

/// The process's logging, set up once in `main`: swift-log's system bootstrapped with
/// ``StandardErrorLogHandler``, and the role every line is labelled with.
public enum ProcessLog {
    /// Bootstraps swift-log (once per process: swift-log allows no second call) and names the role.
    public static func bootstrap(role: String) {
        ProcessLabels.shared.update { $0.role = role }
        LoggingSystem.bootstrap { _ in StandardErrorLogHandler() }
    }

    /// A logger writing ``LogLine``s whether or not the system was bootstrapped (tests run the
    /// training loop in their own process).
    public static func logger(_ label: String = "cifake", labels: ProcessLabels = .shared) -> Logger {
        Logger(label: label) { _ in StandardErrorLogHandler(labels: labels) }
    }
}

extension Logger {
    /// Logs `text` at the level its own `warning: ` or `error: ` prefix names (else info),
    /// without the prefix: for callbacks that hand over plain lines.
    public func log(prefixed text: String) {
        let (level, message) = LogLine.level(of: text)
        log(level: level, "\(message)")
    }
}
