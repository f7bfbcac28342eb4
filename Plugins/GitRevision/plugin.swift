import Foundation
import PackagePlugin

/// Generates `BuildRevision.id`, the git commit the build is made from, before every build:
/// `Scripts/git-revision.sh` writes it, and rewrites the file only when the revision changed, so
/// an unchanged checkout recompiles nothing. Outside a git checkout (a source archive, a
/// container build without `.git`) or without git, the revision is `$CIFAKE_GIT_REVISION` if set,
/// else `unknown`.
@main
struct GitRevision: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "Generated")
        let script = context.package.directoryURL.appending(path: "Scripts/git-revision.sh")
        return [.prebuildCommand(displayName: "Reading the git revision",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: [script.path, context.package.directoryURL.path, output.appending(path: "Revision.swift").path],
                                 environment: ProcessInfo.processInfo.environment.filter { $0.key == "CIFAKE_GIT_REVISION" },
                                 outputFilesDirectory: output)]
    }
}
