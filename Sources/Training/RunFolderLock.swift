import Foundation
import Storage

/// The lock a run holds on its run folder for as long as it runs (`train --out`, `train
/// --resume`, the cluster's coordinator): two runs writing one folder would overwrite each
/// other's checkpoints, history and model. The lock is `flock` on `<folder>/lock` (see
/// `FileLock`): the kernel drops it when the process ends, however it ends, so a crash never
/// leaves a folder locked, and `--resume` of a killed run just works.
public enum RunFolderLock {
    public static let fileName = "lock"

    /// Creates the folder if needed and takes its lock at once, or throws
    /// ``RunFolderError/inUse(folder:holder:)`` naming the holder (pid, host, start time). Never
    /// waits. Hold the returned lock until the run ends.
    public static func acquire(_ folder: String, started: Date = Date()) throws -> FileLock {
        try AtomicFile.makeFolder(folder)
        do {
            return try FileLock.acquire("\(folder)/\(fileName)", holder: LockHolder.thisProcess(since: started))
        } catch .held(_, let holder) {
            throw RunFolderError.inUse(folder: folder, holder: holder)
        }
    }
}
