import Foundation

/// A command run to completion, its output collected (ip, tc, and this program's short subcommands).
enum Tool {
    struct Failed: Error, CustomStringConvertible {
        var command: String
        var status: Int32
        var output: String
        var description: String { "\(command): exit status \(status): \(output.trimmingCharacters(in: .whitespacesAndNewlines))" }
    }

    /// Runs `executable arguments`; returns standard output and error (read on their own threads,
    /// so neither pipe fills up). With `teardown`, an interruption stops it too.
    static func run(_ executable: String, _ arguments: [String], teardown: Teardown? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        if let teardown {
            try teardown.guarded {
                try process.run()
                teardown.adopt(process)
            }
        } else {
            try process.run()
        }
        final class Collected: @unchecked Sendable { var bytes = Data() }  // written before `wait` returns
        let err = Collected()
        let readErr = DispatchWorkItem { err.bytes = errPipe.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(execute: readErr)
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        readErr.wait()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err.bytes, as: UTF8.self))
    }

    /// Runs it and returns standard output; a non-zero status throws with standard error.
    @discardableResult
    static func check(_ executable: String, _ arguments: [String], teardown: Teardown? = nil) throws -> String {
        let r = try run(executable, arguments, teardown: teardown)
        guard r.status == 0 else {
            throw Failed(command: ([executable] + arguments).joined(separator: " "), status: r.status, output: r.stderr.isEmpty ? r.stdout : r.stderr)
        }
        return r.stdout
    }

    /// The first of `/usr/sbin`, `/sbin`, `/usr/bin`, `/bin` holding an executable `name`.
    static func find(_ name: String) -> String? {
        ["/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
