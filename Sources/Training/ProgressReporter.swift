import Foundation
import Logging
import Logs

/// Progress on standard error: a live bar redrawn in place on a terminal, plain log lines
/// (at most one every few seconds) otherwise, so logs of batch jobs stay readable. Every line
/// that stays goes through swift-log (``Logs/StandardErrorLogHandler``): timestamped, levelled,
/// labelled with the process's role, rank and generation.
public final class ProgressReporter: @unchecked Sendable {
    public let isTerminal: Bool
    public let logger: Logger
    /// Seconds between plain progress lines when not on a terminal.
    public var plainInterval = 10.0
    private var lastPlainLine = -1e9
    private let start = Date()

    public init(isTerminal: Bool = standardErrorIsTerminal, logger: Logger = ProcessLog.logger()) {
        self.isTerminal = isTerminal
        self.logger = logger
    }

    /// A line that stays (the handler ends any live bar first); a `warning: ` or `error: `
    /// prefix sets the level.
    public func log(_ line: String) {
        let (level, text) = LogLine.level(of: line)
        logger.log(level: level, "\(text)")
    }

    public func log(_ level: Logger.Level, _ line: String) {
        logger.log(level: level, "\(line)")
    }

    /// Live progress of an epoch.
    public func step(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double, accuracy: Double,
                     imagesPerSecond: Double, etaSeconds: Double, suffix: String = "") {
        let fraction = Double(step) / Double(max(1, steps))
        let text = String(format: "epoch %d/%d %@ %d/%d loss %.4f acc %.4f %.0f img/s ETA %@",
                          epoch, epochs, bar(fraction) as NSString, step, steps, loss, accuracy, imagesPerSecond,
                          Self.duration(etaSeconds) as NSString) + (suffix.isEmpty ? "" : " " + suffix)
        if isTerminal {
            writeStandardError("\r\u{1B}[2K" + text)
        } else {
            let now = Date().timeIntervalSince(start)
            if now - lastPlainLine >= plainInterval || step == steps {
                lastPlainLine = now
                log(text)
            }
        }
    }

    private func bar(_ fraction: Double) -> String {
        let width = 24, filled = Int((fraction * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }
}
