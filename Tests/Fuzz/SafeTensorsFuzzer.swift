// libFuzzer entry point for the safetensors decoder (Sources/Model/SafeTensors.swift), built by
// Tests/Fuzz/run-libfuzzer.sh, never by SwiftPM or CI. A thrown error is the expected outcome
// for bad input; a trap or a sanitizer report is a finding.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let (tensors, _) = try? SafeTensors.decode(bytes, source: "fuzz") {
        let total = tensors.reduce(0) { $0 + $1.values.count * 4 }
        precondition(total <= bytes.count, "decoded \(total) tensor bytes from a \(bytes.count)-byte file")
    }
    return 0
}
