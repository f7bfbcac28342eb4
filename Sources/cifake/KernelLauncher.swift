#if canImport(Glibc)
import Glibc
#endif
import Kernels
import Logs

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
        ProcessLog.logger().warning("OpenBLAS chose its legacy '\(Gemm.coreName)' kernels and re-executing with OPENBLAS_CORETYPE=\(coreType) failed (errno \(errno)); training will be slow")
    }

}
