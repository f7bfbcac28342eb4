// libFuzzer entry point for the wire codec (Sources/Wire, Sources/Coordination), built by
// Tests/Fuzz/run-libfuzzer.sh, never by SwiftPM or CI. A `WireError` is the expected outcome
// for bad input; a trap, a sanitizer report or a non-canonical accepted frame is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let (header, message) = try? WireCodec.decode(bytes) {
        let again = try? WireCodec.encode(message, generation: header.generation)
        precondition(again == bytes, "an accepted frame re-encodes differently")
    }
    return 0
}
