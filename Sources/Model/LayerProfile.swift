/// Time spent per layer and direction, accumulated over steps (nanoseconds), in first-seen order.
public final class LayerProfile {
    public private(set) var entries: [(name: String, nanoseconds: UInt64)] = []

    public init() {}

    public func add(_ name: String, nanoseconds: UInt64) {
        if let i = entries.firstIndex(where: { $0.name == name }) {
            entries[i].nanoseconds += nanoseconds
        } else {
            entries.append((name, nanoseconds))
        }
    }
}
