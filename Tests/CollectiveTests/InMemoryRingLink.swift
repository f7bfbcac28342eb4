import Collective
import Foundation

/// A ring of in-memory links for tests: frames are copied into a per-rank queue guarded by a
/// condition, so sends are released at once.
final class InMemoryRing: @unchecked Sendable {
    private let condition = NSCondition()
    private var queues: [[(header: [UInt8], payload: [UInt8])]]

    init(worldSize: Int) { queues = Array(repeating: [], count: worldSize) }

    func link(rank: Int) -> InMemoryRingLink { InMemoryRingLink(ring: self, rank: rank, worldSize: queues.count) }

    func push(to rank: Int, header: [UInt8], payload: [UInt8]) {
        condition.lock()
        queues[rank].append((header, payload))
        condition.broadcast()
        condition.unlock()
    }

    func pop(rank: Int, timeoutMilliseconds: Int) -> (header: [UInt8], payload: [UInt8])? {
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMilliseconds) / 1000)
        condition.lock()
        defer { condition.unlock() }
        while queues[rank].isEmpty {
            if !condition.wait(until: deadline) { return nil }
        }
        return queues[rank].removeFirst()
    }
}

final class InMemoryRingLink: RingLink, @unchecked Sendable {
    let ring: InMemoryRing
    let rank: Int
    let successor: Int

    init(ring: InMemoryRing, rank: Int, worldSize: Int) {
        self.ring = ring
        self.rank = rank
        self.successor = (rank + 1) % worldSize
    }

    func send(header: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) throws {
        ring.push(to: successor, header: Array(header), payload: Array(payload))
    }

    /// The payload of the last frame received, as `receive`'s body left it.
    private var lastPayload: [UInt8]?

    func receive(timeoutMilliseconds: Int, _ body: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) throws -> Void) throws -> Bool {
        guard var frame = ring.pop(rank: rank, timeoutMilliseconds: timeoutMilliseconds) else { return false }
        try frame.header.withUnsafeBytes { header in
            try frame.payload.withUnsafeMutableBytes { payload in try body(header, payload) }
        }
        lastPayload = frame.payload
        return true
    }

    func forwardReceived(header: UnsafeRawBufferPointer) throws {
        guard let payload = lastPayload else { preconditionFailure("forwardReceived without a received frame") }
        lastPayload = nil
        ring.push(to: successor, header: Array(header), payload: payload)
    }

    func waitUntilSendsReleased(timeoutMilliseconds: Int) throws -> Bool { true }
}

/// Runs `body(rank)` on `count` dedicated threads and returns each one's error, if any.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) -> [String?] {
    final class Results: @unchecked Sendable {
        let lock = NSLock()
        var errors: [String?]
        init(_ count: Int) { errors = Array(repeating: nil, count: count) }
    }
    let results = Results(count)
    let group = DispatchGroup()
    for rank in 0..<count {
        group.enter()
        let thread = Thread {
            do { try body(rank) } catch {
                results.lock.lock()
                results.errors[rank] = "\(error)"
                results.lock.unlock()
            }
            group.leave()
        }
        thread.start()
    }
    group.wait()
    return results.errors
}
