/// The two connections a rank has in a ring: to its successor (send) and from its predecessor
/// (receive). Implementations carry bytes; `RingAllReduce` decides what they mean.
///
/// A link is used by one thread at a time (the thread running `RingAllReduce.run`).
public protocol RingLink: AnyObject {
    /// Queues one frame (header part, then payload part) for the successor and returns without
    /// waiting for delivery. The payload memory is borrowed, not copied: it must stay valid and
    /// unchanged until `waitUntilSendsReleased` returns.
    func send(header: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) throws

    /// Waits up to `timeoutMilliseconds` for the next frame from the predecessor and hands its two
    /// parts to `body` (valid only during the call). The payload belongs to the received frame:
    /// `body` may change it, for `forwardReceived`. Returns false, without calling `body`, when
    /// the deadline passes first.
    func receive(timeoutMilliseconds: Int,
                 _ body: (_ header: UnsafeRawBufferPointer, _ payload: UnsafeMutableRawBufferPointer) throws -> Void) throws -> Bool

    /// Sends the payload of the frame `receive` handed over last (as `body` left it) on to the
    /// successor, after a new `header`, without copying it. At most once per received frame, and
    /// before the next `receive`.
    func forwardReceived(header: UnsafeRawBufferPointer) throws

    /// Blocks until every payload passed to `send` may be modified or freed again. Returns false
    /// when that has not happened within `timeoutMilliseconds`.
    func waitUntilSendsReleased(timeoutMilliseconds: Int) throws -> Bool

    /// Total seconds the connection to the successor had data in flight, from the kernel's TCP
    /// statistics; nil where the link cannot tell.
    func successorBusySeconds() -> Double?
}

extension RingLink {
    public func successorBusySeconds() -> Double? { nil }
}
