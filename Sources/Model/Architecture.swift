import Checksums

/// The paper's networks. Input `[N, 32, 32, 3]` in [0, 1]; output one logit per image whose
/// sigmoid is the probability of FAKE. `plan` derives every shape.
///
/// - `cnn2d(dense: D)`: Conv2D(32, 3x3, ReLU) -> MaxPool 2 -> Conv2D(64, 3x3, ReLU) -> MaxPool 2
///   -> Flatten (6x6x64 = 2304) -> Dense(D, ReLU) -> Dense(1).
/// - `cnn2dExtended`: the same convolutions -> GlobalAveragePooling (64) -> Dropout(0.5)
///   -> Dense(32, ReLU) -> Dense(1).
public enum Architecture: Sendable, Equatable, Hashable {
    case cnn2d(dense: Int)
    case cnn2dExtended

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

    /// A short human name, e.g. "CNN2D D=4096" or "CNN2D extended (GAP + Dropout)".
    public var displayName: String {
        switch self {
        case .cnn2d(let d): "CNN2D D=\(d)"
        case .cnn2dExtended: "CNN2D extended (GAP + Dropout)"
        }
    }

    /// Every shape: the layers' geometry, the parameter tensors, the activations per image.
    public var plan: ShapePlan { ShapePlan(self) }

    /// Width of the hidden dense layer.
    public var hiddenWidth: Int { plan.head.hidden }

    public init(model: String, dense: Int) throws(ArchitectureError) {
        switch model {
        case "cnn2d":
            guard dense > 0 && dense <= Self.maximumDense else { throw .invalidDense(dense) }
            self = .cnn2d(dense: dense)
        case "cnn2d-ext", "cnn2d-extended", "extended":
            self = .cnn2dExtended
        default:
            throw .unknownModel(model)
        }
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

public enum ArchitectureError: Error, CustomStringConvertible, Equatable {
    case unknownModel(String)
    case invalidDense(Int)

    public var description: String {
        switch self {
        case .unknownModel(let m): "unknown model '\(m)': expected 'cnn2d' or 'cnn2d-ext'"
        case .invalidDense(let d): "dense width must be an integer in 1...\(Architecture.maximumDense) (the paper uses 32, 64, 128 or 4096), found \(d)"
        }
    }
}
