/// glibc's `mallopt`, which Swift's Glibc module does not export (it lives in <malloc.h>).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// Keeps the memory of received messages in the process.
///
/// libzmq allocates every received message with `malloc` and frees it when the message is
/// closed. With glibc's default, dynamic thresholds a freed 1-4 MiB block at the top of the heap
/// is soon returned to the kernel, so the next chunk is received into fresh pages: measured, a
/// 64 MiB all-reduce between 2 processes took about 10,000 page faults per rank and about 25 %
/// more CPU. Fixing the thresholds once, at process start, before the first all-reduce, keeps
/// freed blocks for reuse.
public enum ReceiveAllocator {
    /// Sets glibc's mmap threshold (blocks up to this size come from the heap) and trim
    /// threshold (free memory kept at the top of the heap). Returns false if glibc refused.
    /// - Parameters:
    ///   - heapBlockBytes: largest block served from the heap; glibc caps it at 32 MiB on 64-bit.
    ///   - keptFreeBytes: free heap memory kept rather than returned to the kernel.
    @discardableResult
    public static func keepFreedMessageMemory(heapBlockBytes: Int = 32 << 20, keptFreeBytes: Int = 1 << 30) -> Bool {
        #if os(Linux)
        let mmapThreshold: Int32 = -3 // M_MMAP_THRESHOLD
        let trimThreshold: Int32 = -1 // M_TRIM_THRESHOLD
        let a = glibcMallopt(mmapThreshold, Int32(clamping: heapBlockBytes))
        let b = glibcMallopt(trimThreshold, Int32(clamping: keptFreeBytes))
        return a == 1 && b == 1
        #else
        return false
        #endif
    }
}
