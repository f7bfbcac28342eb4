/// Fixed-width lower-case hexadecimal of 64-bit hashes and checksums: the one formatter for logs,
/// files and refusals.
public enum Hex {
    /// 16 digits, e.g. `00ab34...`.
    public static func string(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// 16 digits after `0x`, where a number reads better marked as one.
    public static func prefixed(_ value: UInt64) -> String { "0x" + string(value) }
}
