/// A fully connected layer: input `[N, K]`, weight `[K, D]` (Keras's layout), bias `[D]`,
/// output `[N, D]`.
public enum Dense {
    /// `output = input x weight + bias`, then ReLU when `relu` is set.
    public static func forward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        batch: Int, inFeatures k: Int, outFeatures d: Int, relu: Bool
    ) {
        Gemm.sgemm(transA: false, transB: false, m: batch, n: d, k: k,
                   a: input, lda: k, b: weight, ldb: d, beta: 0, c: output, ldc: d)
        addBias(output, bias: bias, rows: 0..<batch, columns: d, relu: relu)
    }

    /// Accumulates `dWeight += input^T x dOutput`, `dBias += column sums of dOutput`; overwrites
    /// `dInput = dOutput x weight^T` when given. `dOutput` must include the activation's backward.
    public static func backward(
        dInput: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
        dOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        batch: Int, inFeatures k: Int, outFeatures d: Int
    ) {
        backwardWeights(dWeight: dWeight, dBias: dBias, dOutput: dOutput, input: input, batch: batch, inFeatures: k, outFeatures: d, columns: 0..<d)
        if let dInput {
            backwardInput(dInput: dInput, dOutput: dOutput, weight: weight, batch: batch, inFeatures: k, outFeatures: d)
        }
    }

    /// The weight and bias gradients of the output columns `columns` only (disjoint column ranges
    /// can run concurrently): `dWeight[:, columns] += input^T x dOutput[:, columns]`.
    public static func backwardWeights(
        dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
        dOutput: UnsafePointer<Float>, input: UnsafePointer<Float>,
        batch: Int, inFeatures k: Int, outFeatures d: Int, columns: Range<Int>
    ) {
        guard !columns.isEmpty else { return }
        let c0 = columns.lowerBound
        Gemm.sgemm(transA: true, transB: false, m: k, n: columns.count, k: batch,
                   a: input, lda: k, b: dOutput + c0, ldb: d, beta: 1, c: dWeight + c0, ldc: d)
        columnSums(into: dBias + c0, matrix: dOutput + c0, rows: batch, columns: columns.count, stride: d)
    }

    /// `dInput = dOutput x weight^T` for `batch` rows (disjoint row ranges can run concurrently).
    public static func backwardInput(
        dInput: UnsafeMutablePointer<Float>, dOutput: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        batch: Int, inFeatures k: Int, outFeatures d: Int
    ) {
        Gemm.sgemm(transA: false, transB: true, m: batch, n: k, k: d,
                   a: dOutput, lda: d, b: weight, ldb: d, beta: 0, c: dInput, ldc: k)
    }
}
