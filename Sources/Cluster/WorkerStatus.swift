import Status
import Training

/// How a worker's and an evaluator's progress fill their status snapshots (`/status`, `/metrics`).
extension StatusSnapshot {
    /// A worker's new assignment: not ready until the ring of `generation` has formed.
    mutating func take(rank: Int, generation: UInt64) {
        self.rank = rank
        self.generation = generation
        phase = "forming"
        ready = false
    }

    /// The ring formed and agreed on its gradient compression: the worker trains.
    mutating func take(ringFormed requested: String, method: String) {
        ring?.requestedCompression = requested
        ring?.compression = method
        phase = "training"
        ready = true
    }

    /// A step this worker completed (`completed` steps in all, 1-based), its stats, the wall
    /// time since the step before (nil for a generation's first), its ring's communication time
    /// and the link's byte counts so far.
    mutating func take(step stats: StepStats, completed: Int, epoch: Int, stepSeconds: Double?, communicationSeconds: Double,
                       bytesSent: Int, bytesReceived: Int) {
        step = completed
        self.epoch = epoch
        loss = stats.samples > 0 ? stats.loss / Double(stats.samples) : nil
        countStep(images: stats.samples, stepSeconds: stepSeconds, compute: [stats.computeSeconds], allReduce: [stats.reduceSeconds])
        ring?.communicationSeconds.observe(communicationSeconds)
        ring?.bytesSent = bytesSent
        ring?.bytesReceived = bytesReceived
    }

    /// An evaluation done: the checkpoint of `step`, its test scores and how long it took.
    mutating func take(evaluationOf step: Int, accuracy: Double, loss: Double, auc: Double?, seconds: Double) {
        lastEvaluation = Evaluation(step: step, accuracy: accuracy, loss: loss, auc: auc)
        self.step = step
        evaluationsTotal += 1
        evaluator?.evaluationSeconds.observe(seconds)
    }
}
