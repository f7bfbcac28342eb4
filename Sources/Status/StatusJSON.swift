import Foundation

/// `/status`: the snapshot as one JSON object with snake_case keys, sorted; unknown values are
/// `null` (never left out), so a dashboard can rely on every key being there.
public enum StatusJSON {
    public static func render(_ s: StatusSnapshot, program: ProgramIdentity) -> String {
        func opt(_ v: Any?) -> Any { v ?? NSNull() }
        func number(_ v: Double?) -> Any { v.flatMap { $0.isFinite ? $0 : nil } ?? NSNull() }
        let object: [String: Any] = [
            "version": program.version,
            "revision": program.revision,
            "swift": program.swift,
            "role": s.role,
            "rank": opt(s.rank),
            "ready": s.ready,
            "steps_total": s.stepsTotal,
            "images_total": s.imagesTotal,
            "evaluations_total": s.evaluationsTotal,
            "ring": s.ring.map {
                ["bytes_sent": $0.bytesSent, "bytes_received": $0.bytesReceived, "requested_compression": $0.requestedCompression,
                 "compression": $0.compression] as [String: Any]
            } ?? NSNull(),
            "checkpoints_fetched": opt(s.evaluator?.checkpointsFetchedTotal),
            "phase": s.phase,
            "generation": s.generation,
            "workers": s.members.count,
            "members": s.members.map { ["rank": $0.rank, "node_id": $0.nodeID, "host": $0.host] },
            "step": opt(s.step),
            "total_steps": opt(s.totalSteps),
            "epoch": opt(s.epoch),
            "epochs": opt(s.epochs),
            "loss": number(s.loss),
            "images_per_second": number(s.imagesPerSecond),
            "slowest_rank": opt(s.slowestRank),
            "ranks": s.perRank.map { ["rank": $0.rank, "compute_seconds": $0.computeSeconds, "all_reduce_wait_seconds": $0.allReduceWaitSeconds] },
            "last_checkpoint": s.lastCheckpoint.map { ["step": $0.step, "path": opt($0.path)] } ?? NSNull(),
            "last_evaluation": s.lastEvaluation.map {
                ["step": $0.step, "epoch": opt($0.epoch), "accuracy": number($0.accuracy), "loss": number($0.loss), "auc": number($0.auc)] as [String: Any]
            } ?? NSNull(),
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
