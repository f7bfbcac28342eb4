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
        Gemm.sgemm(transA: true, transB: false, m: k, n: d, k: batch,
                   a: input, lda: k, b: dOutput, ldb: d, beta: 1, c: dWeight, ldc: d)
        columnSums(into: dBias, matrix: dOutput, rows: batch, columns: d)
        if let dInput {
            Gemm.sgemm(transA: false, transB: true, m: batch, n: k, k: d,
                       a: dOutput, lda: d, b: weight, ldb: d, beta: 0, c: dInput, ldc: k)
        }
    }
}
