#if canImport(Glibc)
import Glibc
#endif
import Kernels

/// Makes sure OpenBLAS runs the kernels this CPU deserves: when it fell back to its legacy ones
/// (it did not recognise the CPU model), the process re-executes itself once with
/// `OPENBLAS_CORETYPE` set, which OpenBLAS reads only when it is loaded. A user's own
/// `OPENBLAS_CORETYPE` is always respected.
enum KernelLauncher {
    static func useFastKernels() {
        guard getenv("OPENBLAS_CORETYPE") == nil,
              let coreType = KernelSelection.override(chosen: Gemm.coreName, cpuFlags: KernelSelection.cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", coreType, 1)
        var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &argv)
        // Only reached if exec failed: carry on with the slow kernels, and say so.
        writeStandardErrorLine("warning: OpenBLAS chose its legacy '\(Gemm.coreName)' kernels and re-executing with OPENBLAS_CORETYPE=\(coreType) failed (errno \(errno)); training will be slow")
    }

    private static func writeStandardErrorLine(_ text: String) {
        let line = Array((text + "\n").utf8)
        _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
