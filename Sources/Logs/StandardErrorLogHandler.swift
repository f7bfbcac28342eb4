import Logging

/// swift-log's handler for every cifake process: ``LogLine``s on standard error, labelled with
/// the process's ``ProcessLabels``. On a terminal each line first clears the live progress bar
/// (which the next step redraws).
public struct StandardErrorLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let labels: ProcessLabels
    let clearsLine: Bool

    public init(labels: ProcessLabels = .shared, clearsLine: Bool = standardErrorIsTerminal) {
        self.labels = labels
        self.clearsLine = clearsLine
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let own = event.metadata { all.merge(own) { $1 } }
        let line = LogLine.format(time: .now(), level: event.level, labels: labels.current, metadata: all, message: event.message.description)
        writeStandardError((clearsLine ? "\r\u{1B}[2K" : "") + line)
    }
}
