import Checksums

/// The paper's networks. Input `[N, 32, 32, 3]` in [0, 1]; output one logit per image whose
/// sigmoid is the probability of FAKE. `plan` derives every shape.
///
/// - `cnn2d(dense: D)`: Conv2D(32, 3x3, ReLU) -> MaxPool 2 -> Conv2D(64, 3x3, ReLU) -> MaxPool 2
///   -> Flatten (6x6x64 = 2304) -> Dense(D, ReLU) -> Dense(1).
/// - `cnn2dExtended`: the same convolutions -> GlobalAveragePooling (64) -> Dropout(0.5)
///   -> Dense(32, ReLU) -> Dense(1).
///
/// Both take the convolutions' filter counts (`ConvolutionWidths`), the paper's 32 and 64 unless
/// a recipe widens them.
public enum Architecture: Sendable, Equatable, Hashable {
    case cnn2d(dense: Int, convolutions: ConvolutionWidths = .paper)
    case cnn2dExtended(convolutions: ConvolutionWidths = .paper)

    /// Widest hidden dense layer accepted: 65536 (151M parameters, 1.8 GB with Adam's moments);
    /// the paper's widest is 4096.
    public static let maximumDense = 65536

    /// `cnn2d` or `cnn2d-ext`, as the command line spells them.
    public var modelName: String {
        switch self {
        case .cnn2d: "cnn2d"
        case .cnn2dExtended: "cnn2d-ext"
        }
    }

    /// A short human name, e.g. "CNN2D D=4096", "CNN2D extended (GAP + Dropout)" or, with wider
    /// convolutions, "CNN2D extended (GAP + Dropout), conv 64/128".
    public var displayName: String {
        let base = switch self {
        case .cnn2d(let d, _): "CNN2D D=\(d)"
        case .cnn2dExtended: "CNN2D extended (GAP + Dropout)"
        }
        return convolutions == .paper ? base : "\(base), conv \(convolutions)"
    }

    /// The two convolutions' filter counts.
    public var convolutions: ConvolutionWidths {
        switch self {
        case .cnn2d(_, let widths), .cnn2dExtended(let widths): widths
        }
    }

    /// Whether the head is the extended one (GAP + Dropout), whatever the widths.
    public var isExtended: Bool {
        if case .cnn2dExtended = self { true } else { false }
    }

    /// Every shape: the layers' geometry, the parameter tensors, the activations per image.
    public var plan: ShapePlan { ShapePlan(self) }

    /// Width of the hidden dense layer.
    public var hiddenWidth: Int { plan.head.hidden }

    public init(model: String, dense: Int, convolutions: ConvolutionWidths = .paper) throws(ArchitectureError) {
        guard ConvolutionWidths.range.contains(convolutions.first), ConvolutionWidths.range.contains(convolutions.second) else {
            throw .invalidConvolutions(convolutions)
        }
        switch model {
        case "cnn2d":
            guard dense > 0 && dense <= Self.maximumDense else { throw .invalidDense(dense) }
            self = .cnn2d(dense: dense, convolutions: convolutions)
        case "cnn2d-ext", "cnn2d-extended", "extended":
            self = .cnn2dExtended(convolutions: convolutions)
        default:
            throw .unknownModel(model)
        }
    }

    /// The architecture a model file or checkpoint records in its metadata: `model`, `dense` and
    /// `conv_filters` (absent in files written before widths could change: the paper's).
    public init(metadata: [String: String]) throws(ArchitectureError) {
        guard let model = metadata["model"], let dense = metadata["dense"].flatMap(Int.init) else { throw .missingMetadata }
        var widths = ConvolutionWidths.paper
        if let text = metadata["conv_filters"] {
            guard let parsed = ConvolutionWidths(text) else { throw .unreadableConvolutions(text) }
            widths = parsed
        }
        try self.init(model: model, dense: dense, convolutions: widths)
    }

    /// What `init(metadata:)` reads back.
    public var metadata: [String: String] {
        ["model": modelName, "dense": String(hiddenWidth), "conv_filters": convolutions.description]
    }

    /// The parameter tensors in buffer order, placed: `plan.layout.tensors`.
    public var tensors: [TensorSpec] { layout.tensors }
    public var layout: ParameterLayout { plan.layout }
    public var parameterCount: Int { layout.count }

    /// A digest of everything that fixes the parameter layout and the maths, for the cluster's
    /// rendezvous check.
    public var digest: String {
        let plan = self.plan
        var text = "arch-v1:\(modelName):"
        for t in plan.layout.tensors { text += "\(t.name)=\(t.shape.map(String.init).joined(separator: "x"));" }
        if let rate = plan.head.dropout { text += "dropout=\(rate);" }
        return Hex.string(XXH64.hash(Array(text.utf8)))
    }
}

/// The filter counts of the two convolutions; the paper's are 32 and 64.
public struct ConvolutionWidths: Sendable, Hashable, Codable, CustomStringConvertible {
    public var first: Int
    public var second: Int

    public init(first: Int, second: Int) {
        self.first = first
        self.second = second
    }

    public static let paper = ConvolutionWidths(first: 32, second: 64)
    /// Filters accepted per convolution (512 and 512 need 2 GB of activations at batch 1024).
    public static let range = 1...512

    /// "32,64", as metadata records them.
    public var description: String { "\(first),\(second)" }

    /// Reads "32,64".
    public init?(_ text: String) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.filter { $0 != " " }) }
        guard parts.count == 2, let first = parts[0], let second = parts[1] else { return nil }
        self.init(first: first, second: second)
    }
}

public enum ArchitectureError: Error, CustomStringConvertible, Equatable {
    case unknownModel(String)
    case invalidDense(Int)
    case invalidConvolutions(ConvolutionWidths)
    case unreadableConvolutions(String)
    case missingMetadata

    public var description: String {
        switch self {
        case .unknownModel(let m): "unknown model '\(m)': expected 'cnn2d' or 'cnn2d-ext'"
        case .invalidDense(let d): "dense width must be an integer in 1...\(Architecture.maximumDense) (the paper uses 32, 64, 128 or 4096), found \(d)"
        case .invalidConvolutions(let w):
            "convolution filters must be integers in \(ConvolutionWidths.range.lowerBound)...\(ConvolutionWidths.range.upperBound) (the paper's: 32 and 64), found \(w.first) and \(w.second)"
        case .unreadableConvolutions(let text): "conv_filters '\(text)': expected two integers, e.g. '32,64'"
        case .missingMetadata: "metadata lacks 'model' or 'dense'"
        }
    }
}
