import Dataset
import Foundation
import XCTest

/// An in-memory synthetic set (the same images `cifake data synth` writes), without files.
func syntheticSet(perClass: Int, seed: UInt64, split: String = "train") -> ImageSet {
    var pixels: [UInt8] = [], labels: [UInt8] = [], sources: [String] = []
    for index in 0..<perClass {
        for label in Label.allCases {
            pixels += SyntheticCIFAKE.image(label: label, seed: seed, split: split, index: index).pixels
            labels.append(label.rawValue)
            sources.append("\(label.folderName)/\(index).png")
        }
    }
    return ImageSet(pixels: pixels, labels: labels, sources: sources)
}
