import Foundation

/// `/metrics`: the snapshot in Prometheus's text exposition format 0.0.4 — for each metric a
/// `# HELP` and a `# TYPE` line, then its samples; a value not known yet has no sample. One
/// renderer for every role: the families a snapshot carries decide what is shown (a worker's
/// ring, an evaluator's evaluations), and a name means the same thing in every role.
///
/// Hand-written rather than swift-metrics with swift-prometheus, measured and weighed:
/// - What is exposed is a handful of counters, three histograms and the process metrics, all
///   owned by one loop that already publishes a ``StatusSnapshot`` per step; a pure function of
///   that value renders them, and a strict parser in the tests checks the text. swift-metrics'
///   global `MetricsSystem` would add a second path for the same numbers, with locks and atomics
///   on every step, and tests could no longer render a snapshot without bootstrapping it.
/// - swift-prometheus 2.4.1 brings swift-atomics and swift-metrics: three packages more to fetch
///   and compile on every clean build (CI builds from a fresh clone). Measured here, a release
///   build of the three took 17 s of wall time (swift-log alone: 6 s): not much beside this
///   package's minutes, so build time did not decide it. It has no process metrics on Linux
///   (``ProcessMetrics`` reads `/proc`), and its text is no more correct than this (both pass the
///   strict parser of StatusTests: HELP/TYPE, escapes, cumulative buckets ending in `+Inf`).
/// - Its registry is the better choice once many modules emit metrics of their own, or if
///   OpenMetrics, exemplars or push are wanted: then swap this renderer for it.
public enum MetricsExposition {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// - Parameters:
    ///   - version: the program, e.g. `cifake 0.2.0 (wire 3)`; `revision` the git revision it
    ///     was built from (`unknown` when not built from a checkout); `swift` the compiler.
    ///   - process: this process's CPU, memory, start time and descriptors; nil leaves them out.
    public static func render(_ s: StatusSnapshot, version: String, revision: String = "unknown", swift: String = "",
                              process: ProcessMetrics? = nil) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            out += "# HELP \(name) \(escapeHelp(help))\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples { out += "\(name)\(labels) \(format(value))\n" }
        }
        func gauge(_ name: String, _ help: String, _ value: Double?) {
            metric(name, "gauge", help, value.map { [("", $0)] } ?? [])
        }
        func counter(_ name: String, _ help: String, _ value: Double) {
            metric(name, "counter", help, [("", value)])
        }
        func histogram(_ name: String, _ help: String, _ h: Histogram) {
            out += "# HELP \(name) \(escapeHelp(help))\n# TYPE \(name) histogram\n"
            for (bound, count) in h.cumulative { out += "\(name)_bucket{le=\"\(format(bound))\"} \(count)\n" }
            out += "\(name)_sum \(format(h.sum))\n\(name)_count \(h.count)\n"
        }
        // Which families a role has: every role its identity, a role that trains (coordinator,
        // train, worker) the step counters and histograms, the coordinator and `train` their view
        // of the whole run, a worker its ring, an evaluator its evaluations.
        let trains = s.evaluator == nil
        let seesTheRun = trains && s.ring == nil
        var infoLabels = "version=\"\(escapeLabel(version))\",revision=\"\(escapeLabel(revision))\",swift=\"\(escapeLabel(swift))\",role=\"\(escapeLabel(s.role))\""
        if let rank = s.rank { infoLabels += ",rank=\"\(rank)\"" }
        metric("cifake_info", "gauge", "Constant 1, labelled with the program's version, git revision, Swift version and this process's role (and a worker's rank).",
               [("{\(infoLabels)}", 1)])
        if trains {
            counter("cifake_steps_total", s.ring == nil ? "Training steps completed (by every rank) since this process started."
                        : "Training steps this rank completed since this process started.", Double(s.stepsTotal))
            counter("cifake_images_total", s.ring == nil ? "Training images processed since this process started."
                        : "Training images this rank processed (its shard of each global batch) since this process started.", Double(s.imagesTotal))
        }
        if seesTheRun {
            counter("cifake_checkpoints_total", "Checkpoints written since this process started.", Double(s.checkpointsTotal))
        }
        if seesTheRun || s.evaluator != nil {
            counter("cifake_evaluations_total", s.evaluator == nil ? "Checkpoint evaluations received since this process started."
                        : "Checkpoints evaluated since this process started.", Double(s.evaluationsTotal))
        }
        if trains {
            histogram("cifake_step_seconds", "Wall time of each training step, from the end of the one before, in seconds.", s.stepSeconds)
            histogram("cifake_compute_seconds", s.ring == nil ? "Compute time (forward, backward, update) of each rank in each step, in seconds."
                        : "Compute time (forward, backward, update) of this rank in each step, in seconds.", s.computeSeconds)
        }
        if let allReduce = s.allReduceSeconds {
            histogram("cifake_all_reduce_seconds", s.ring == nil ? "Time each rank waited in each step's all-reduce, in seconds."
                        : "Time this rank's training thread waited in each step's all-reduce (communication not hidden behind backward), in seconds.", allReduce)
        }
        if let ring = s.ring {
            histogram("cifake_ring_communication_seconds", "Wall time of this rank's ring all-reduce in each step, the part overlapped with backward included, in seconds.",
                      ring.communicationSeconds)
            counter("cifake_ring_sent_bytes_total", "Bytes (frame headers and payloads) this rank sent to its ring successor since this process started.", Double(ring.bytesSent))
            counter("cifake_ring_received_bytes_total", "Bytes (frame headers and payloads) this rank received from its ring predecessor since this process started.",
                    Double(ring.bytesReceived))
            metric("cifake_gradient_compression_info", "gauge", "Constant 1, labelled with gradient_compression as configured and the method this rank's ring uses.",
                   ring.compression.isEmpty ? []
                       : [("{requested=\"\(escapeLabel(ring.requestedCompression))\",method=\"\(escapeLabel(ring.compression))\"}", 1)])
            gauge("cifake_rank", "This worker's rank in the current generation.", s.rank.map(Double.init))
        }
        if trains {
            gauge("cifake_generation", "Membership generation of the training cluster.", Double(s.generation))
        }
        if seesTheRun {
            gauge("cifake_workers", "Workers in the current ring.", Double(s.members.count))
        }
        if trains {
            metric("cifake_training", "gauge", "1 while a generation is training, else 0.", [("", s.phase == "training" ? 1 : 0)])
            gauge("cifake_step", "Last step completed by every rank (1-based: steps completed).", s.step.map(Double.init))
            gauge("cifake_total_steps", "Steps the run trains for.", s.totalSteps.map(Double.init))
            gauge("cifake_epoch", "Epoch of the last completed step (1-based).", s.epoch.map(Double.init))
            gauge("cifake_loss", s.ring == nil ? "Mean training loss of the last step's global batch." : "Mean training loss of this rank's shard of the last step.", s.loss)
        }
        if seesTheRun {
            gauge("cifake_images_per_second", "Global training throughput of the last step, in images per second.", s.imagesPerSecond)
            gauge("cifake_slowest_rank", "Rank holding the last step back most: compute plus half of each of its ring links' busy time.", s.slowestRank.map(Double.init))
            metric("cifake_rank_compute_seconds", "gauge", "Compute time of each rank in the last step, in seconds.",
                   s.perRank.map { ("{rank=\"\($0.rank)\"}", $0.computeSeconds) })
            metric("cifake_rank_all_reduce_wait_seconds", "gauge", "Time each rank waited in the all-reduce of the last step, in seconds.",
                   s.perRank.map { ("{rank=\"\($0.rank)\"}", $0.allReduceWaitSeconds) })
            gauge("cifake_last_checkpoint_step", "Step of the last consolidated checkpoint (steps completed).", s.lastCheckpoint.map { Double($0.step) })
        }
        if let evaluator = s.evaluator {
            counter("cifake_checkpoints_fetched_total", "Checkpoints fetched from the coordinator since this process started.", Double(evaluator.checkpointsFetchedTotal))
            histogram("cifake_evaluation_seconds", "Wall time of each evaluation (decode, validation and test predictions), in seconds.", evaluator.evaluationSeconds)
        }
        if seesTheRun || s.evaluator != nil {
            gauge("cifake_eval_step", "Step of the weights last evaluated (steps completed).", s.lastEvaluation.map { Double($0.step) })
            gauge("cifake_eval_accuracy", s.evaluator == nil ? "Accuracy (0...1) of the last evaluation." : "Test accuracy (0...1) of the last evaluation.",
                  s.lastEvaluation?.accuracy)
            gauge("cifake_eval_loss", s.evaluator == nil ? "Loss of the last evaluation." : "Test loss of the last evaluation.", s.lastEvaluation?.loss)
        }
        if s.evaluator != nil {
            gauge("cifake_eval_auc", "Test ROC AUC (0...1) of the last evaluation.", s.lastEvaluation?.auc)
        }
        if let p = process {
            counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", p.cpuSeconds)
            gauge("process_resident_memory_bytes", "Resident memory size in bytes.", p.residentBytes)
            gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", p.startTimeSeconds)
            gauge("process_open_fds", "Number of open file descriptors.", p.openFileDescriptors.map(Double.init))
        }
        return out
    }

    /// Go's float formatting as Prometheus reads it: integers without a fraction, `NaN`, `+Inf`, `-Inf`.
    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// Label values escape backslash, double quote and line feed.
    static func escapeLabel(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// HELP text escapes backslash and line feed.
    static func escapeHelp(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}
