/// Ranks for a forming ring when some workers ask for one (a scheduler's task id or index).
public enum RankPreference {
    /// `items` reordered so that index = rank: each item whose requested rank is below the
    /// count and not yet taken gets it (first in `items` order wins a contested rank); the
    /// others fill the free ranks in their `items` order. Without requests the order is kept.
    ///
    /// - Returns: the order and the indices into `items` whose request could not be granted.
    public static func arrange<T>(_ items: [T], requested: (T) -> Int?) -> (ordered: [T], denied: [Int]) {
        var slots: [Int?] = Array(repeating: nil, count: items.count)
        var rest: [Int] = []
        var denied: [Int] = []
        for (i, item) in items.enumerated() {
            if let r = requested(item), r >= 0, r < items.count, slots[r] == nil {
                slots[r] = i
            } else {
                if requested(item) != nil { denied.append(i) }
                rest.append(i)
            }
        }
        var next = rest.makeIterator()
        for r in slots.indices where slots[r] == nil { slots[r] = next.next() }
        return (slots.map { items[$0!] }, denied)
    }
}
