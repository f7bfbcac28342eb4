import Model
/// Where a cell of a convolution's output grid looks in the input: the geometry that places a
/// coarse map on the image.
///
/// A cell `i` of the grid sees input rows `start + jump * i ..< start + jump * i + size`, so its
/// centre is `start + jump * i + (size - 1) / 2`. With 'valid' padding the grid does not cover
/// the image evenly (conv2's 13 cells centre on input rows 3.5 ... 27.5 of 0 ... 31), so
/// stretching the grid over the image, as a plain resize does, misplaces the map by up to 3
/// pixels; `upsample` puts each cell's value at its centre instead.
public struct ReceptiveField: Sendable, Equatable {
    /// Input pixels between neighbouring cells.
    public var jump: Int
    /// Input pixels one cell sees along each side.
    public var size: Int
    /// First input row (or column) cell 0 sees.
    public var start: Int

    /// One layer of the stack: a square kernel (or pooling window) and its stride, 'valid' padding.
    public struct Layer: Sendable, Equatable {
        public var kernel: Int
        public var stride: Int
        public init(kernel: Int, stride: Int) {
            self.kernel = kernel
            self.stride = stride
        }
    }

    public init(jump: Int, size: Int, start: Int) {
        self.jump = jump
        self.size = size
        self.start = start
    }

    /// The field of the last layer of `layers`, composed from the input up.
    public init(layers: [Layer]) {
        var jump = 1, size = 1
        for layer in layers {
            size += (layer.kernel - 1) * jump
            jump *= layer.stride
        }
        self.init(jump: jump, size: size, start: 0)
    }

    /// The CNN's stack up to conv2's activations, the maps' grid: conv 3x3, max-pool 2x2, conv 3x3.
    public static let lastConvolution = ReceptiveField(lastConvolutionOf: Architecture.cnn2d(dense: 32).plan)

    /// The last convolution's field in `plan`'s stack: conv1, its pooling, conv2.
    public init(lastConvolutionOf plan: ShapePlan) {
        self.init(layers: [Layer(kernel: plan.conv1.kernelSize, stride: 1), Layer(kernel: plan.pool1.size, stride: plan.pool1.size),
                           Layer(kernel: plan.conv2.kernelSize, stride: 1)])
    }

    /// Input coordinate of cell `i`'s centre.
    public func centre(_ i: Int) -> Double { Double(start + jump * i) + Double(size - 1) / 2 }

    /// A `height x width` grid map bilinearly resampled to `toHeight x toWidth` input pixels, each
    /// cell's value at its centre (pixels beyond the first or last centre take the edge value).
    public func upsample(_ map: [Float], width: Int, height: Int, toWidth: Int, toHeight: Int) -> [Float] {
        precondition(map.count == width * height, "ReceptiveField.upsample: expected \(width * height) values, found \(map.count)")
        func plan(_ cells: Int, _ pixels: Int) -> [(Int, Int, Float)] {
            (0..<pixels).map { x in
                let s = min(max((Double(x) - centre(0)) / Double(jump), 0), Double(cells - 1))
                let i0 = Int(s.rounded(.down)), i1 = min(i0 + 1, cells - 1)
                return (i0, i1, Float(s - Double(i0)))
            }
        }
        let xs = plan(width, toWidth), ys = plan(height, toHeight)
        var out = [Float](repeating: 0, count: toWidth * toHeight)
        for (oy, (y0, y1, ty)) in ys.enumerated() {
            for (ox, (x0, x1, tx)) in xs.enumerated() {
                let top = map[y0 * width + x0] + (map[y0 * width + x1] - map[y0 * width + x0]) * tx
                let bottom = map[y1 * width + x0] + (map[y1 * width + x1] - map[y1 * width + x0]) * tx
                out[oy * toWidth + ox] = top + (bottom - top) * ty
            }
        }
        return out
    }
}
