/// ReLU's backward, given the forward's output `y` (the forward is fused into Conv2D and Dense):
/// `dX = dY` where `y > 0`, else 0; `dY` is masked in place.
public enum ReLU {
    public static func backward(dY: UnsafeMutablePointer<Float>, y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { dY[i] = y[i] > 0 ? dY[i] : 0 }
    }
}

extension ReLU {
    /// Out-of-place backward: `dX = dY` where `y > 0`, else 0.
    public static func backward(dX: UnsafeMutablePointer<Float>, dY: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { dX[i] = y[i] > 0 ? dY[i] : 0 }
    }
}
