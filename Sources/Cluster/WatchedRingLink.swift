import Collective
import Dispatch
import Synchronization
import Transport

/// A ring link whose waits are cut into short slices with a check between them: a worker keeps
/// heartbeating while it waits for its neighbours, and leaves an all-reduce as soon as the
/// coordinator announces a new membership generation (the check throws) instead of waiting out
/// a dead peer's deadline. It also counts the bytes of every frame sent and received (for
/// `/metrics`): atomically, since the ring's own thread uses the link while the training thread
/// reads the counts.
final class WatchedRingLink: RingLink {
    let inner: ZeroMQRingLink
    private let sent = Atomic<Int>(0)
    private let received = Atomic<Int>(0)
    /// Payload bytes of the frame received last, which `forwardReceived` sends on.
    private var lastPayloadBytes = 0

    /// Frame bytes (headers and payloads) sent to the successor and received from the predecessor so far.
    var bytesSent: Int { sent.load(ordering: .relaxed) }
    var bytesReceived: Int { received.load(ordering: .relaxed) }
    /// Called between slices; throws to abandon the all-reduce.
    var check: () throws -> Void = {}
    let sliceMilliseconds: Int

    init(_ inner: ZeroMQRingLink, sliceMilliseconds: Int = 100) {
        self.inner = inner
        self.sliceMilliseconds = sliceMilliseconds
    }

    func send(header: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) throws {
        try inner.send(header: header, payload: payload)
        sent.add(header.count + payload.count, ordering: .relaxed)
    }

    func receive(timeoutMilliseconds: Int, _ body: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) throws -> Void) throws -> Bool {
        try sliced(timeoutMilliseconds) {
            try inner.receive(timeoutMilliseconds: $0) { header, payload in
                lastPayloadBytes = payload.count
                received.add(header.count + payload.count, ordering: .relaxed)
                try body(header, payload)
            }
        }
    }

    func forwardReceived(header: UnsafeRawBufferPointer) throws {
        try inner.forwardReceived(header: header)
        sent.add(header.count + lastPayloadBytes, ordering: .relaxed)
    }

    func successorBusySeconds() -> Double? { inner.successorBusySeconds() }

    func waitUntilSendsReleased(timeoutMilliseconds: Int) throws -> Bool {
        try sliced(timeoutMilliseconds) { try inner.waitUntilSendsReleased(timeoutMilliseconds: $0) }
    }

    /// Tries `attempt` with slices of the deadline, running `check` between them.
    private func sliced(_ timeoutMilliseconds: Int, _ attempt: (Int) throws -> Bool) throws -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeoutMilliseconds)) * 1_000_000
        while true {
            let left = Int((Int64(deadline) - Int64(DispatchTime.now().uptimeNanoseconds)) / 1_000_000)
            if try attempt(max(0, min(sliceMilliseconds, left))) { return true }
            if left <= 0 { return false }
            try check()
        }
    }
}
