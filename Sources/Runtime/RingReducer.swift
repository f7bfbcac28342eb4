import Collective
import Kernels
import Training
import Transport

/// The cluster's `GradientReducer`: a ring all-reduce of the flat gradient buffer over ZeroMQ,
/// worker to worker. Every frame carries the membership generation and the training step.
final class RingReducer: GradientReducer {
    let link: ZeroMQRingLink
    let schedule: RingSchedule
    let generation: UInt64
    let timeoutMilliseconds: Int
    private(set) var droppedFrames = 0

    init(link: ZeroMQRingLink, rank: Int, worldSize: Int, elementCount: Int, generation: UInt64,
         chunkBytes: Int = 1 << 20, timeoutMilliseconds: Int) {
        self.link = link
        self.generation = generation
        self.timeoutMilliseconds = timeoutMilliseconds
        schedule = RingSchedule(worldSize: worldSize, rank: rank, elementCount: elementCount,
                                chunkElements: chunkBytes / MemoryLayout<Float>.size)
    }

    var rank: Int { schedule.rank }
    var worldSize: Int { schedule.worldSize }

    func allReduce(_ gradients: FloatBuffer, step: Int) throws {
        let report = try RingAllReduce.run(buffer: gradients.buffer, schedule: schedule, link: link, generation: generation,
                                           step: UInt32(truncatingIfNeeded: step), timeoutMilliseconds: timeoutMilliseconds)
        droppedFrames += report.droppedFrames
    }
}
