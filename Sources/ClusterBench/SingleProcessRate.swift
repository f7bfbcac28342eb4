/// The single-process reference: what `cifake bench train` (one process) printed.
public enum SingleProcessRate {
    /// The median of `images/s: median 812 (windows: 800, 812, 815)` in `output`.
    public static func parse(benchTrainOutput output: String) throws(ClusterBenchError) -> Double {
        let marker = "images/s: median "
        for line in output.split(separator: "\n") where line.hasPrefix(marker) {
            let number = line.dropFirst(marker.count).prefix { !$0.isWhitespace }
            if let value = Double(number), value > 0, value.isFinite { return value }
            throw .unreadable(what: "cifake bench train", expected: "a positive number after '\(marker)'", found: String(line))
        }
        throw .unreadable(what: "cifake bench train", expected: "a line '\(marker)N (windows: ...)'",
                          found: output.isEmpty ? "no output" : "none in \(output.split(separator: "\n").count) lines")
    }
}
