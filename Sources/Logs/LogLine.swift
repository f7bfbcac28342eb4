#if canImport(Glibc)
import Glibc
#endif
import Logging

/// One log line, as a pure function of its parts:
/// `2026-12-06T21:04:05.123Z info coordinator gen=3: message` (UTC, milliseconds; then the level,
/// the labels, any metadata as `key=value`, a colon and the message). A message of several lines
/// becomes as many log lines, each with the whole prefix, so every line can be grepped and sorted.
public enum LogLine {
    public static func format(time: Timestamp, level: Logger.Level, labels: LogLabels, metadata: Logger.Metadata = [:],
                              message: String) -> String {
        var prefix = "\(time.iso8601) \(level.rawValue) \(labels.text)"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { prefix += " \(key)=\(value)" }
        prefix += ": "
        return message.split(separator: "\n", omittingEmptySubsequences: false)
            .map { prefix + $0 + "\n" }.joined()
    }

    /// Seconds and milliseconds since 1970 in UTC.
    public struct Timestamp: Sendable, Equatable {
        public var seconds: Int
        public var milliseconds: Int

        public init(seconds: Int, milliseconds: Int) {
            self.seconds = seconds
            self.milliseconds = milliseconds
        }

        /// The wall clock now.
        public static func now() -> Timestamp {
            var t = timespec()
            clock_gettime(CLOCK_REALTIME, &t)
            return Timestamp(seconds: t.tv_sec, milliseconds: t.tv_nsec / 1_000_000)
        }

        /// `2026-12-06T21:04:05.123Z`.
        public var iso8601: String {
            var time = time_t(seconds)
            var parts = tm()
            gmtime_r(&time, &parts)
            func pad(_ v: Int32, _ width: Int) -> String {
                let s = String(v)
                return String(repeating: "0", count: max(0, width - s.count)) + s
            }
            return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
                + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds), 3))Z"
        }
    }

    /// A level named by the text's own prefix (`warning: `, `error: `), and the text without it;
    /// `.info` and the whole text otherwise. For messages written before levels existed.
    public static func level(of text: String) -> (Logger.Level, String) {
        for (prefix, level) in [("warning: ", Logger.Level.warning), ("error: ", .error), ("info: ", .info)] where text.hasPrefix(prefix) {
            return (level, String(text.dropFirst(prefix.count)))
        }
        return (.info, text)
    }

    /// Whether `line` starts like a line of ``format(time:level:labels:metadata:message:)``:
    /// a timestamp, a space and a level.
    public static func isFormatted(_ line: some StringProtocol) -> Bool {
        let words = line.split(separator: " ", maxSplits: 2)
        guard words.count >= 2, words[0].count == 24, words[0].hasSuffix("Z"), words[0].dropFirst(10).first == "T" else { return false }
        return Logger.Level(rawValue: String(words[1])) != nil
    }
}
