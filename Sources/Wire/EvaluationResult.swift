/// The evaluator's metrics for the checkpoint after `step`, as UTF-8 JSON bytes.
public struct EvaluationResult: Sendable, Equatable {
    public var step: Int
    public var json: [UInt8]

    public init(step: Int, json: [UInt8]) {
        self.step = step
        self.json = json
    }
}
