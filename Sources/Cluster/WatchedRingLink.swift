import Collective
import Dispatch
import Synchronization
import Transport

/// A ring link of one generation whose waits are cut into short slices with a look at the
/// process's `RingCancellation` between them: when the control side abandons the generation (the
/// coordinator formed a new one, or stopped the run), the all-reduce leaves at once instead of
/// waiting out a dead peer's deadline. Only the mark is read here; heartbeats and control
/// messages are the training thread's, while it waits (`RingReducer.whileWaiting`). It also
/// counts the bytes of every frame sent and received into the process's `RingTraffic`.
final class WatchedRingLink: RingLink {
    let inner: ZeroMQRingLink
    let generation: UInt64
    let cancellation: RingCancellation
    let traffic: RingTraffic
    let sliceMilliseconds: Int
    /// Payload bytes of the frame received last, which `forwardReceived` sends on.
    private var lastPayloadBytes = 0

    init(_ inner: ZeroMQRingLink, generation: UInt64, cancellation: RingCancellation, traffic: RingTraffic, sliceMilliseconds: Int = 100) {
        self.inner = inner
        self.generation = generation
        self.cancellation = cancellation
        self.traffic = traffic
        self.sliceMilliseconds = sliceMilliseconds
    }

    func send(header: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) throws {
        try inner.send(header: header, payload: payload)
        traffic.sent.add(header.count + payload.count, ordering: .relaxed)
    }

    func receive(timeoutMilliseconds: Int, _ body: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) throws -> Void) throws -> Bool {
        try sliced(timeoutMilliseconds) {
            try inner.receive(timeoutMilliseconds: $0) { header, payload in
                lastPayloadBytes = payload.count
                traffic.received.add(header.count + payload.count, ordering: .relaxed)
                try body(header, payload)
            }
        }
    }

    func forwardReceived(header: UnsafeRawBufferPointer) throws {
        try inner.forwardReceived(header: header)
        traffic.sent.add(header.count + lastPayloadBytes, ordering: .relaxed)
    }

    func successorBusySeconds() -> Double? { inner.successorBusySeconds() }

    func waitUntilSendsReleased(timeoutMilliseconds: Int) throws -> Bool {
        try sliced(timeoutMilliseconds) { try inner.waitUntilSendsReleased(timeoutMilliseconds: $0) }
    }

    /// Tries `attempt` with slices of the deadline, leaving when the generation is abandoned.
    private func sliced(_ timeoutMilliseconds: Int, _ attempt: (Int) throws -> Bool) throws -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeoutMilliseconds)) * 1_000_000
        while true {
            if cancellation.isAbandoned(generation) { throw RingAllReduceError.abandoned(generation: generation) }
            let left = Int((Int64(deadline) - Int64(DispatchTime.now().uptimeNanoseconds)) / 1_000_000)
            if try attempt(max(0, min(sliceMilliseconds, left))) { return true }
            if left <= 0 { return false }
        }
    }
}

/// Frame bytes (headers and payloads) a worker's ring links sent to successors and received from
/// predecessors, over every generation (for `/metrics`): atomic, since the ring's thread counts
/// while the training thread reads.
final class RingTraffic: Sendable {
    let sent = Atomic<Int>(0)
    let received = Atomic<Int>(0)

    var bytesSent: Int { sent.load(ordering: .relaxed) }
    var bytesReceived: Int { received.load(ordering: .relaxed) }
}
