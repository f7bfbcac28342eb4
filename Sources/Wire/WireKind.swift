/// The message kind in a frame header. Values are part of the wire format: never renumber.
public enum WireKind: UInt16, Sendable, CaseIterable {
    case join = 1
    case admitted = 2
    case refusal = 3
    case assignment = 4
    case ready = 5
    case start = 6
    case heartbeat = 7
    case stepReport = 8
    case leave = 9
    case rejoin = 10
    case waiting = 11
    case stop = 12
    case checkpointOffer = 13
    case checkpointRequest = 14
    case checkpointChunk = 15
    case evaluationResult = 16
    // 17 and 18 were stateRequest and stateChunk, never sent (state travels as checkpoint
    // offers and chunks through the coordinator): retired, never reused.
    case runInfoRequest = 19
    case runInfo = 20
    case dataRequest = 21
    case dataChunk = 22
    case stepReplay = 23
}
