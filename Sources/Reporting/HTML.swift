/// Text for an HTML page: every string from a run (names, paths, labels, numbers) goes through
/// `escape` before it reaches the page, so a `<` in a folder name cannot open a tag.
public enum HTML {
    /// `& < > " '` as character references; safe in element content and in quoted attributes.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
