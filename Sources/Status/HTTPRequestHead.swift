/// The request line of an HTTP/1.x request, read from the bytes received so far (the server
/// needs nothing else: no body, no header but their end).
public struct HTTPRequestHead: Sendable, Equatable {
    public var method: String
    /// The path without its query string, e.g. `/metrics`.
    public var path: String
    public var version: String

    public enum Parse: Sendable, Equatable {
        /// The blank line ending the headers has not arrived yet.
        case incomplete
        case request(HTTPRequestHead)
        /// Not an HTTP/1.x request line: why.
        case malformed(String)
    }

    public init(method: String, path: String, version: String) {
        self.method = method
        self.path = path
        self.version = version
    }

    /// Parses once the headers' end (`\r\n\r\n`, or `\n\n` from lenient clients) is in `bytes`.
    public static func parse(_ bytes: [UInt8]) -> Parse {
        guard headersEnd(in: bytes) != nil else { return .incomplete }
        let lineEnd = bytes.firstIndex(of: UInt8(ascii: "\n"))!
        var line = bytes[..<lineEnd]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        guard let text = String(validating: line, as: UTF8.self) else { return .malformed("request line is not UTF-8") }
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[1].hasPrefix("/") || parts[1] == "*" else {
            return .malformed("request line '\(text.prefix(80))' is not METHOD /PATH HTTP/1.x")
        }
        guard parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0" else {
            return .malformed("version '\(parts[2].prefix(16))' is not HTTP/1.0 or HTTP/1.1")
        }
        let target = parts[1]
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return .request(HTTPRequestHead(method: String(parts[0]), path: path, version: String(parts[2])))
    }

    /// Index just past the blank line that ends the headers, searching from `start`.
    static func headersEnd(in bytes: [UInt8], from start: Int = 0) -> Int? {
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var i = min(start, bytes.count)
        while let n = bytes[i...].firstIndex(of: lf) {
            if n + 1 < bytes.count, bytes[n + 1] == lf { return n + 2 }
            if n + 2 < bytes.count, bytes[n + 1] == cr, bytes[n + 2] == lf { return n + 3 }
            i = n + 1
        }
        return nil
    }
}
