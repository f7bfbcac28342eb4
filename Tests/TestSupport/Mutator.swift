import Randomness

/// Seeded mutations of valid encodings, for fuzz tests: bit flips, truncation, splicing with
/// another valid input, boundary integers written over length and offset fields (binary, little
/// endian) or over the numbers of a text (decimal).
public struct Mutator {
    public var rng: SplitMix64

    public init(seed: UInt64) { rng = SplitMix64(seed: seed, stream: "mutator") }

    /// Integers at the edges of every width a decoder might use.
    public static let boundaries: [UInt64] = [
        0, 1, 2, 7, 8, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000,
        0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFE,
    ]
    /// The same edges as decimal text, plus what JSON and YAML make of numbers.
    public static let textBoundaries = boundaries.map { String($0) } + [
        "-1", "-9223372036854775808", "9223372036854775807", "18446744073709551616", "1e308", "1e999", "-0", "0.5", "nan", ".nan", ".inf", "NaN",
    ]

    public mutating func index(_ bound: Int) -> Int { rng.nextIndex(below: max(1, bound)) }

    /// One to four mutations of `bytes`; `donors` are other valid inputs to splice from.
    /// `fields` are offsets of known length and count fields, favoured for boundary integers.
    public mutating func mutate(_ bytes: [UInt8], donors: [[UInt8]] = [], fields: [Int] = []) -> [UInt8] {
        var out = bytes
        for _ in 0 ... index(4) {
            switch index(5) {
            case 0:  // flip bits
                if out.isEmpty { continue }
                for _ in 0 ... index(3) { out[index(out.count)] ^= UInt8(1) << UInt8(index(8)) }
            case 1:  // truncate
                out = Array(out.prefix(index(out.count + 1)))
            case 2:  // splice a piece of another input in
                guard let donor = donors.isEmpty ? nil : donors[index(donors.count)], !donor.isEmpty else { continue }
                let from = index(donor.count), length = index(min(64, donor.count - from) + 1)
                let at = index(out.count + 1), cut = index(min(64, out.count - at) + 1)
                out.replaceSubrange(at ..< at + cut, with: donor[from ..< from + length])
            case 3:  // a boundary integer over a field (known or anywhere)
                let width = [1, 2, 4, 8][index(4)]
                let at = !fields.isEmpty && index(3) > 0 ? fields[index(fields.count)] : index(out.count)
                guard at + width <= out.count else { continue }
                var value = Self.boundaries[index(Self.boundaries.count)]
                if index(2) == 0 { value = value &- 1 }
                for i in 0 ..< width { out[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
            default:  // random bytes inserted
                let at = index(out.count + 1)
                out.insert(contentsOf: (0 ..< 1 + index(8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            }
        }
        return out
    }

    /// One to four mutations of a text: a number replaced by a boundary, a fragment from `tokens`
    /// inserted, a line duplicated or dropped, or a byte-level mutation.
    public mutating func mutate(text: String, tokens: [String]) -> String {
        var out = text
        for _ in 0 ... index(4) {
            switch index(4) {
            case 0:  // a run of digits replaced by a boundary number
                let scalars = Array(out.unicodeScalars)
                let digits = scalars.indices.filter { ("0"..."9").contains(scalars[$0]) }
                guard !digits.isEmpty else { continue }
                var start = digits[index(digits.count)], end = start
                while start > 0 && ("0"..."9").contains(scalars[start - 1]) { start -= 1 }
                while end < scalars.count && ("0"..."9").contains(scalars[end]) { end += 1 }
                var replaced = String.UnicodeScalarView(scalars[..<start])
                replaced.append(contentsOf: Self.textBoundaries[index(Self.textBoundaries.count)].unicodeScalars)
                replaced.append(contentsOf: scalars[end...])
                out = String(replaced)
            case 1:  // a token inserted at a line start or anywhere
                var lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                lines.insert(tokens[index(tokens.count)], at: index(lines.count + 1))
                out = lines.joined(separator: "\n")
            case 2:  // a line duplicated or dropped
                var lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                guard !lines.isEmpty else { continue }
                let i = index(lines.count)
                if index(2) == 0 { lines.insert(lines[i], at: i) } else { lines.remove(at: i) }
                out = lines.joined(separator: "\n")
            default:
                out = String(decoding: mutate(Array(out.utf8)), as: UTF8.self)
            }
        }
        return out
    }
}
