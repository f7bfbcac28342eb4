import Dispatch

/// Splits `0..<count` into at most `threads` contiguous, fixed ranges and runs `body` on each,
/// concurrently. The split depends only on `count` and `threads`, so results that are combined
/// per range are reproducible for a given thread count.
///
/// `body` must only write memory that belongs to its own range: the kernels that use this hand
/// each range a disjoint slice of the output, which is why sharing the closure is sound.
@inline(__always)
public func parallelRanges(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    let parts = min(max(1, threads), count)
    if parts <= 1 {
        if count > 0 { body(0..<count) }
        return
    }
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let shared = body
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            shared((part * count / parts)..<((part + 1) * count / parts))
        }
    }
}
