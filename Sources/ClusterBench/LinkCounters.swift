import Foundation

/// A network interface's byte counters, as `ip -s -j link show DEV` prints them (`stats64`).
public struct LinkCounters: Sendable, Equatable, Codable {
    public var rxBytes: UInt64
    public var txBytes: UInt64

    public init(rxBytes: UInt64, txBytes: UInt64) {
        self.rxBytes = rxBytes
        self.txBytes = txBytes
    }

    /// Every interface's counters in `json`, the output of `ip -s -j link show`, by name:
    /// `[{"ifname":"p0",...,"stats64":{"rx":{"bytes":N,...},"tx":{"bytes":N,...}}},...]`.
    public static func byInterface(ipJSON json: String) throws(ClusterBenchError) -> [String: LinkCounters] {
        struct Link: Decodable {
            struct Stats: Decodable {
                struct Direction: Decodable { var bytes: UInt64 }
                var rx: Direction
                var tx: Direction
            }
            var ifname: String
            var stats64: Stats?
        }
        let links: [Link]
        do { links = try JSONDecoder().decode([Link].self, from: Data(json.utf8)) } catch {
            throw .unreadable(what: "ip -s -j link show", expected: "a JSON array of links", found: excerpt(json))
        }
        var counters: [String: LinkCounters] = [:]
        for link in links {
            guard let stats = link.stats64 else {
                throw .unreadable(what: "ip -s -j link show", expected: "stats64 on every link (iproute2 >= 4.19)",
                                  found: "\(link.ifname) without: \(excerpt(json))")
            }
            counters[link.ifname] = LinkCounters(rxBytes: stats.rx.bytes, txBytes: stats.tx.bytes)
        }
        return counters
    }

    /// What went through between `earlier` and this reading (counters only grow while the link lives).
    public func since(_ earlier: LinkCounters) -> LinkCounters {
        LinkCounters(rxBytes: rxBytes &- earlier.rxBytes, txBytes: txBytes &- earlier.txBytes)
    }

    private static func excerpt(_ text: String) -> String {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.count > 200 ? String(t.prefix(200)) + "..." : t
    }
}
