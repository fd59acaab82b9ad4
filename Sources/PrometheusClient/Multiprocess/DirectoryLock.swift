import Glibc

/// An advisory lock (flock) on a file beside the `.db` files, so that a merge never sees a dead
/// process's values half-folded into an archive: merges take it shared, `markProcessDead` exclusive.
/// The lock file does not end in `.db`, so neither merger reads it.
struct DirectoryLock {
    static let fileName = ".prometheus_multiproc.lock"

    private let descriptor: Int32

    /// Takes the lock, waiting for it. When the lock file cannot be created (a read-only directory),
    /// the merge goes ahead unlocked: nobody can archive in such a directory anyway.
    init(directory: String, exclusive: Bool) {
        let path = directory + "/" + Self.fileName
        var descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor < 0 {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
        }
        if descriptor >= 0 {
            while flock(descriptor, exclusive ? LOCK_EX : LOCK_SH) != 0 && errno == EINTR {}
        }
        self.descriptor = descriptor
    }

    /// Releases the lock.
    func release() {
        if descriptor >= 0 {
            close(descriptor)  // closing the descriptor releases the flock
        }
    }
}
