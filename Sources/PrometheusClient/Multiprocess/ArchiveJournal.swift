import Glibc

/// The record that makes folding a dead process's file into an archive crash-safe.
///
/// Folding writes the new archive under a temporary name, records in this journal the temporary
/// file's inode and the process file it absorbs, renames the archive into place, deletes the process
/// file and finally the journal. If a crash leaves the journal behind, the archive's inode tells
/// whether the rename happened: if it did, the process file is already counted in the archive and
/// must be skipped (by a merge) or deleted (by the next `markProcessDead`); if not, the temporary
/// file is discarded and nothing was counted twice.
struct ArchiveJournal: Equatable {
    static let fileName = ".prometheus_multiproc_archive.journal"

    /// The archive file name, for example `counter_archive.db`.
    var archive: String
    /// The inode the archive has once the new version is renamed into place.
    var archiveInode: UInt64
    /// The process file the new archive includes, for example `counter_1234.db`.
    var absorbed: String

    static func path(in directory: String) -> String {
        directory + "/" + fileName
    }

    /// The journal left in `directory`, if any.
    static func read(in directory: String) -> ArchiveJournal? {
        guard let text = try? readSmallFile(path(in: directory)) else { return nil }
        let fields = text.split(separator: "\n").map(String.init)
        guard fields.count == 3, let inode = UInt64(fields[1]),
            DBFileName(fileName: fields[0])?.isArchive == true, DBFileName(fileName: fields[2]) != nil
        else { return nil }
        return ArchiveJournal(archive: fields[0], archiveInode: inode, absorbed: fields[2])
    }

    /// Whether the archive named in the journal is the new one (the rename happened).
    func isArchiveInPlace(in directory: String) -> Bool {
        var status = stat()
        guard stat(directory + "/" + archive, &status) == 0 else { return false }
        return UInt64(status.st_ino) == archiveInode
    }

    /// Writes the journal durably.
    func write(in directory: String) throws(MultiprocessError) {
        let text = "\(archive)\n\(archiveInode)\n\(absorbed)\n"
        try FileOperations.writeDurably(Array(text.utf8), to: Self.path(in: directory))
    }

    private static func readSmallFile(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw MultiprocessError.fileFailure(path: path, operation: "open", errno: errno) }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = Glibc.read(descriptor, &buffer, buffer.count)
        guard count >= 0 else { throw MultiprocessError.fileFailure(path: path, operation: "read", errno: errno) }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }
}

/// File-system steps with the error handling and durability the archive needs.
enum FileOperations {
    /// Writes `bytes` to a new file at `path` (replacing it) and flushes it to disk.
    ///
    /// - Returns: the file's inode.
    @discardableResult
    static func writeDurably(_ bytes: [UInt8], to path: String) throws(MultiprocessError) -> UInt64 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .fileFailure(path: path, operation: "create", errno: errno) }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { throw .fileFailure(path: path, operation: "write", errno: errno) }
            written += result
        }
        guard fsync(descriptor) == 0 else { throw .fileFailure(path: path, operation: "fsync", errno: errno) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .fileFailure(path: path, operation: "stat", errno: errno) }
        return UInt64(status.st_ino)
    }

    static func rename(_ from: String, to: String) throws(MultiprocessError) {
        guard Glibc.rename(from, to) == 0 else { throw .fileFailure(path: to, operation: "rename", errno: errno) }
    }

    /// Deletes a file; a file that is already gone is fine.
    static func remove(_ path: String) throws(MultiprocessError) {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw .fileFailure(path: path, operation: "delete", errno: errno)
        }
    }

    /// Flushes a directory so that renames and deletions in it survive a crash.
    static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
