import Kernels

/// Every shape of one architecture, derived from a few constants in one place (llm.c's size
/// tables): each layer's geometry, the parameter tensors placed in the flat buffer, and the floats
/// per image of every activation. `Architecture.layout`, `Network` and Grad-CAM all read it, so
/// names, shapes and offsets cannot disagree, and a filter count changes in `Constants` alone.
///
/// With the paper's constants, per image (NHWC): input 32x32x3 -> conv1 (3x3, 32) + ReLU 30x30x32
/// -> pool 15x15x32 -> conv2 (3x3, 64) + ReLU 13x13x64 -> pool 6x6x64 -> the head's features
/// (flattened, 2304; extended: GAP, 64, then dropout 0.5) -> dense D + ReLU -> output 1.
public struct ShapePlan: Sendable, Equatable {
    /// The numbers every shape follows from.
    public struct Constants: Sendable, Equatable {
        /// Input images are `imageSide x imageSide x imageChannels`.
        public internal(set) var imageSide = 32
        public internal(set) var imageChannels = 3
        /// Both convolutions: `kernelSize x kernelSize`, stride 1, 'valid' padding. The filter
        /// counts are the architecture's (`ConvolutionWidths`; the paper's 32 and 64 here).
        public internal(set) var kernelSize = 3
        public internal(set) var conv1Filters = 32
        public internal(set) var conv2Filters = 64
        /// Both poolings' window and stride (`MaxPool2D` implements 2).
        public internal(set) var poolSize = 2
        /// The extended head's hidden width and dropout rate.
        public internal(set) var extendedHidden = 32
        public internal(set) var extendedDropout: Float = 0.5

        /// The paper's: the only constants a public initialiser builds a plan from.
        public static let paper = Constants()
    }

    /// A stride-1 'valid' convolution and its ReLU: `[inputSide, inputSide, inChannels]` ->
    /// `[outputSide, outputSide, filters]`.
    public struct Convolution: Sendable, Equatable {
        public let inputSide: Int
        public let inChannels: Int
        public let filters: Int
        public let kernelSize: Int

        public var outputSide: Int { inputSide - kernelSize + 1 }
        /// The kernels' view of the layer for `batch` images.
        public func shape(batch: Int) -> Conv2DShape {
            Conv2DShape(batch: batch, height: inputSide, width: inputSide, inChannels: inChannels, outChannels: filters, kernelSize: kernelSize)
        }
    }

    /// Max pooling, window and stride `size`, 'valid': `[inputSide, inputSide, channels]` ->
    /// `[outputSide, outputSide, channels]`.
    public struct Pooling: Sendable, Equatable {
        public let inputSide: Int
        public let channels: Int
        public let size: Int

        public var outputSide: Int { inputSide / size }
        public var outputPixels: Int { outputSide * outputSide }
    }

    /// The dense layers: `inputs` features -> `hidden` + ReLU -> one logit.
    public struct Head: Sendable, Equatable {
        /// Features entering the hidden layer: pool2 flattened, or one mean per channel (extended).
        public let inputs: Int
        public let hidden: Int
        /// Set for the extended head: the features are pool2's global average pooling, then
        /// dropout at this rate in training.
        public let dropout: Float?
    }

    /// The parameter tensors with Keras's shapes and layouts (conv kernels `[KH, KW, Cin, Cout]`,
    /// dense kernels `[in, out]`), each placed in the flat buffer.
    public struct Parameters: Sendable, Equatable {
        public internal(set) var conv1Kernel, conv1Bias, conv2Kernel, conv2Bias: TensorSpec
        public internal(set) var denseKernel, denseBias, outputKernel, outputBias: TensorSpec

        /// Buffer order, the one place it is written: the convolutions first, so the head is one
        /// range at the end of the buffer.
        static var bufferOrder: [WritableKeyPath<Parameters, TensorSpec>] {
            [\.conv1Kernel, \.conv1Bias, \.conv2Kernel, \.conv2Bias, \.denseKernel, \.denseBias, \.outputKernel, \.outputBias]
        }

        /// The tensors in buffer order.
        public var tensors: [TensorSpec] { Self.bufferOrder.map { self[keyPath: $0] } }
    }

    /// Floats per image of each activation (a batch's buffer holds `batch` of them back to back;
    /// the poolings' argmax buffers hold one byte per float of `p1` and `p2`).
    public struct Activations: Sendable, Equatable {
        public let input: Int
        /// conv1's im2col matrix, conv1's output after ReLU, its pooling.
        public let cols1, a1, p1: Int
        /// The same for conv2.
        public let cols2, a2, p2: Int
        /// The extended head's global average pooling and dropout; 0 for the flatten.
        public let gap: Int
        /// The head's features (`p2` flattened or `gap`) and the hidden layer's output.
        public let headInputs, h: Int
    }

    public let architecture: Architecture
    public let constants: Constants
    public let conv1: Convolution
    public let pool1: Pooling
    public let conv2: Convolution
    public let pool2: Pooling
    public let head: Head
    public let parameters: Parameters
    /// The offset table of the flat buffer: `parameters.tensors`, as placed.
    public let layout: ParameterLayout
    public let perImage: Activations

    public init(_ architecture: Architecture) {
        var constants = Constants.paper
        constants.conv1Filters = architecture.convolutions.first
        constants.conv2Filters = architecture.convolutions.second
        self.init(architecture, constants: constants)
    }

    /// A plan from other constants: for tests that check every shape follows them.
    init(_ architecture: Architecture, constants c: Constants) {
        self.architecture = architecture
        constants = c
        conv1 = Convolution(inputSide: c.imageSide, inChannels: c.imageChannels, filters: c.conv1Filters, kernelSize: c.kernelSize)
        pool1 = Pooling(inputSide: conv1.outputSide, channels: conv1.filters, size: c.poolSize)
        conv2 = Convolution(inputSide: pool1.outputSide, inChannels: pool1.channels, filters: c.conv2Filters, kernelSize: c.kernelSize)
        pool2 = Pooling(inputSide: conv2.outputSide, channels: conv2.filters, size: c.poolSize)
        switch architecture {
        case .cnn2d(let d, _): head = Head(inputs: pool2.outputPixels * pool2.channels, hidden: d, dropout: nil)
        case .cnn2dExtended: head = Head(inputs: pool2.channels, hidden: c.extendedHidden, dropout: c.extendedDropout)
        }

        func convolution(_ layer: Convolution, _ name: String) -> (kernel: TensorSpec, bias: TensorSpec) {
            let k = layer.kernelSize
            return (TensorSpec(name: "\(name).kernel", shape: [k, k, layer.inChannels, layer.filters],
                               fanIn: k * k * layer.inChannels, fanOut: k * k * layer.filters),
                    TensorSpec(name: "\(name).bias", shape: [layer.filters]))
        }
        func dense(_ inputs: Int, _ outputs: Int, _ name: String) -> (kernel: TensorSpec, bias: TensorSpec) {
            (TensorSpec(name: "\(name).kernel", shape: [inputs, outputs], fanIn: inputs, fanOut: outputs),
             TensorSpec(name: "\(name).bias", shape: [outputs]))
        }
        let c1 = convolution(conv1, "conv1"), c2 = convolution(conv2, "conv2")
        let hidden = dense(head.inputs, head.hidden, "dense"), output = dense(head.hidden, 1, "output")
        var parameters = Parameters(conv1Kernel: c1.kernel, conv1Bias: c1.bias, conv2Kernel: c2.kernel, conv2Bias: c2.bias,
                                    denseKernel: hidden.kernel, denseBias: hidden.bias, outputKernel: output.kernel, outputBias: output.bias)
        layout = ParameterLayout(parameters.tensors)
        for (key, placed) in zip(Parameters.bufferOrder, layout.tensors) { parameters[keyPath: key] = placed }
        self.parameters = parameters

        let s1 = conv1.shape(batch: 1), s2 = conv2.shape(batch: 1)
        let gap = head.dropout == nil ? 0 : pool2.channels
        perImage = Activations(input: s1.inputCount,
                               cols1: s1.columnRows * s1.columnWidth, a1: s1.outputCount, p1: pool1.outputPixels * pool1.channels,
                               cols2: s2.columnRows * s2.columnWidth, a2: s2.outputCount, p2: pool2.outputPixels * pool2.channels,
                               gap: gap, headInputs: head.inputs, h: head.hidden)
    }

    /// The convolutions' tensors: the start of the buffer.
    public var convolutionParameterRange: Range<Int> { 0..<parameters.denseKernel.offset }
    /// The dense and output layers' tensors: the rest of the buffer (99.8% of it for D=4096),
    /// whose gradients `Network.backward` finishes first, so the ring can start reducing them
    /// while the convolutions' backward runs.
    public var headParameterRange: Range<Int> { parameters.denseKernel.offset..<layout.count }
}
