import Foundation

/// `/metrics`: the snapshot in Prometheus's text exposition format 0.0.4 — for each metric a
/// `# HELP` and a `# TYPE` line, then its samples; a value not known yet has no sample.
public enum MetricsExposition {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ s: StatusSnapshot, version: String) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            out += "# HELP \(name) \(escapeHelp(help))\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples { out += "\(name)\(labels) \(format(value))\n" }
        }
        func gauge(_ name: String, _ help: String, _ value: Double?) {
            metric(name, "gauge", help, value.map { [("", $0)] } ?? [])
        }
        metric("cifake_info", "gauge", "Constant 1, labelled with the program's version and this process's role.",
               [("{version=\"\(escapeLabel(version))\",role=\"\(escapeLabel(s.role))\"}", 1)])
        gauge("cifake_generation", "Membership generation of the training cluster.", Double(s.generation))
        gauge("cifake_workers", "Workers in the current ring.", Double(s.members.count))
        metric("cifake_training", "gauge", "1 while a generation is training, else 0.", [("", s.phase == "training" ? 1 : 0)])
        gauge("cifake_step", "Last step completed by every rank (0-based).", s.step.map(Double.init))
        gauge("cifake_total_steps", "Steps the run trains for.", s.totalSteps.map(Double.init))
        gauge("cifake_epoch", "Epoch of the last completed step (0-based).", s.epoch.map(Double.init))
        gauge("cifake_loss", "Mean training loss of the last step's global batch.", s.loss)
        gauge("cifake_images_per_second", "Global training throughput of the last step, in images per second.", s.imagesPerSecond)
        gauge("cifake_slowest_rank", "Rank holding the last step back most: compute plus half of each of its ring links' busy time.", s.slowestRank.map(Double.init))
        metric("cifake_rank_compute_seconds", "gauge", "Compute time of each rank in the last step, in seconds.",
               s.perRank.map { ("{rank=\"\($0.rank)\"}", $0.computeSeconds) })
        metric("cifake_rank_all_reduce_wait_seconds", "gauge", "Time each rank waited in the all-reduce of the last step, in seconds.",
               s.perRank.map { ("{rank=\"\($0.rank)\"}", $0.allReduceWaitSeconds) })
        gauge("cifake_last_checkpoint_step", "Step of the last consolidated checkpoint.", s.lastCheckpoint.map { Double($0.step) })
        gauge("cifake_eval_step", "Step of the weights last evaluated.", s.lastEvaluation.map { Double($0.step) })
        gauge("cifake_eval_accuracy", "Accuracy (0...1) of the last evaluation.", s.lastEvaluation?.accuracy)
        gauge("cifake_eval_loss", "Loss of the last evaluation.", s.lastEvaluation?.loss)
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
