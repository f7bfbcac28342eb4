/// Consolidated checkpoints waiting for the coordinator's writer thread, oldest first. The
/// coordinator's loop must not wait for the disk while training runs: silent past the workers'
/// deadline, it would be taken for dead and the ring re-formed. So it holds up to `capacity`
/// checkpoints besides the one being written; beyond that the oldest that closes no epoch is
/// dropped (epoch ends choose the kept model), and only a queue of epoch ends makes the loop wait.
public struct CheckpointWriteQueue: Sendable {
    public let capacity: Int
    public let stepsPerEpoch: Int
    public private(set) var items: [(step: Int, bytes: [UInt8])] = []

    public init(capacity: Int, stepsPerEpoch: Int) {
        precondition(capacity >= 1 && stepsPerEpoch >= 1)
        self.capacity = capacity
        self.stepsPerEpoch = stepsPerEpoch
    }

    public enum Admission: Equatable, Sendable {
        case queued
        /// Queued, and the checkpoint of this older step dropped to make room.
        case dropped(step: Int)
        /// Queued beyond `capacity`, every older one closing an epoch: wait for the writer.
        case full
    }

    /// Adds the checkpoint after `step` (steps arrive in increasing order).
    public mutating func add(step: Int, bytes: [UInt8]) -> Admission {
        items.append((step, bytes))
        guard items.count > capacity else { return .queued }
        if let i = items.indices.dropLast().first(where: { items[$0].step % stepsPerEpoch != 0 }) {
            return .dropped(step: items.remove(at: i).step)
        }
        return .full
    }

    /// The oldest checkpoint, taken from the queue.
    public mutating func next() -> (step: Int, bytes: [UInt8])? {
        items.isEmpty ? nil : items.removeFirst()
    }

    public func contains(step: Int) -> Bool { items.contains { $0.step == step } }
    public var isEmpty: Bool { items.isEmpty }
    public var steps: [Int] { items.map(\.step) }
}
