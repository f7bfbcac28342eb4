/// The ten CIFAR-10 classes, which every CIFAKE image belongs to (the FAKE images were generated
/// per class). The class is in the file name, in one of two ways:
/// - the sample's layout `<class>_<NNNN>.jpg` (e.g. `train/REAL/airplane_0028.jpg`);
/// - Kaggle's original `NNNN.jpg` for class 1 (airplane) and `NNNN (k).jpg` for class k = 2...10
///   (e.g. `1000 (2).jpg` is an automobile).
public enum CIFARClass: String, Sendable, CaseIterable {
    case airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck

    /// The class of each of a set's sources. A bare number (`0028.jpg`) means airplane only in a
    /// set that uses Kaggle's layout, i.e. where some name carries a `(k)` suffix; elsewhere (the
    /// generated data's `00012.png`) it names no class.
    public static func classes(of sources: [String]) -> [CIFARClass?] {
        let parsed = sources.map { (CIFARClass(source: $0), isBareNumber($0)) }
        let kaggle = zip(sources, parsed).contains { $1.0 != nil && !$1.1 && $0.contains(" (") }
        return parsed.map { $0.1 && !kaggle ? nil : $0.0 }
    }

    /// The file name is digits and an extension, nothing else.
    static func isBareNumber(_ source: String) -> Bool {
        let file = source.split(separator: "/").last.map(String.init) ?? source
        let stem = file.split(separator: ".").first.map(String.init) ?? file
        return !stem.isEmpty && stem.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The class a source path names, or nil when its file name follows neither layout (a bare
    /// number is taken for Kaggle's airplane here; `classes(of:)` decides by the whole set).
    public init?(source: String) {
        let file = source.split(separator: "/").last.map(String.init) ?? source
        let lower = file.lowercased()
        let stem = lower.contains(".") ? lower.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".") : lower
        guard !stem.isEmpty, stem.count <= 200 else { return nil }
        for c in Self.allCases where stem.hasPrefix(c.rawValue) {
            let rest = stem.dropFirst(c.rawValue.count)
            if rest.isEmpty || rest.first == "_" || rest.first == "-" || rest.first == " " { self = c; return }
        }
        // Kaggle: digits, optionally " (k)".
        let digits = stem.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else { return nil }
        let tail = stem.dropFirst(digits.count)
        if tail.isEmpty { self = .airplane; return }
        guard tail.hasPrefix(" ("), tail.hasSuffix(")"), let k = Int(tail.dropFirst(2).dropLast()), (2...10).contains(k) else { return nil }
        self = Self.allCases[k - 1]
    }
}
