/// Ring neighbours: ring order is rank order.
public enum RingOrder {
    /// The rank that `rank` sends to.
    public static func successor(of rank: Int, worldSize: Int) -> Int { (rank + 1) % worldSize }
    /// The rank that `rank` receives from.
    public static func predecessor(of rank: Int, worldSize: Int) -> Int { (rank + worldSize - 1) % worldSize }
}
