import TestSupport
import Foundation
import XCTest
@testable import Dataset
import ImageCodecs
import Randomness

/// A fresh temporary folder, removed when the test ends.
func makeTemporaryFolder(_ test: XCTestCase) throws -> String {
    let path = NSTemporaryDirectory() + "/datatests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let folder = (path as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try Foundation.Data(bytes).write(to: URL(fileURLWithPath: path))
}

func readFile(_ path: String) throws -> [UInt8] {
    [UInt8](try Foundation.Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Writes `count` distinct 32x32 JPEGs (or PNGs) named 000.jpg... into `folder`.
func writeImages(_ folder: String, count: Int, seed: UInt64, png: Bool = false) throws {
    for i in 0..<count {
        let image = smoothImage(width: 32, height: 32, seed: seed &+ UInt64(i))
        let bytes = png ? try PNG.encode(image) : try JPEG.encode(image, quality: 90)
        try writeFile(folder + String(format: "/%03d.", i) + (png ? "png" : "jpg"), bytes)
    }
}

/// /work/shared/data/<name>, found relative to the package root, or nil.
func sharedData(_ name: String) -> String? {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let path = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/" + name).path
    return FileManager.default.fileExists(atPath: path) ? path : nil
}

/// Collects a loader's events.
final class EventLog {
    var events: [LoadEvent] = []
    var badFiles: [String: BadFileReason] {
        var result: [String: BadFileReason] = [:]
        for case .badFile(let path, let reason) in events { result[path] = reason }
        return result
    }
    var resized: [String] { events.compactMap { if case .resized(let p, _, _) = $0 { return p } else { return nil } } }
    func record(_ event: LoadEvent) { events.append(event) }
}
