import PrometheusClient
import PrometheusSystem

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

    /// The archive file name, for example `counter_archive.db` or `histogram_archive.native`.
    var archive: String
    /// The inode the archive has once the new version is renamed into place.
    var archiveInode: UInt64
    /// The process file (or storage-failure marker) the new archive includes, for example
    /// `counter_1234.db`.
    var absorbed: String

    static func path(in directory: String) -> String {
        directory + "/" + fileName
    }

    /// The journal left in `directory`, if any (read without blocking, at most 4 KiB).
    static func read(in directory: String) -> ArchiveJournal? {
        guard let descriptor = try? FileDescriptor.open(path(in: directory), .readOnly, options: .nonBlocking) else {
            return nil
        }
        defer { descriptor.close() }
        guard (try? descriptor.status().kind) == .regular else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        guard let count = try? buffer.withUnsafeMutableBytes({ try descriptor.read(fromAbsoluteOffset: 0, into: $0) })
        else { return nil }
        let fields = String(decoding: buffer.prefix(count), as: UTF8.self).split(separator: "\n").map(String.init)
        guard fields.count == 3, let inode = UInt64(fields[1]),
            DBFileName(fileName: fields[0])?.isArchive == true
                || CompanionFileName(fileName: fields[0]).map({ $0.isArchive && $0.contents == .nativeBuckets })
                    == true,
            DBFileName(fileName: fields[2]) != nil || StorageFailureMarker(fileName: fields[2]) != nil
                || CompanionFileName(fileName: fields[2])?.contents == .nativeBuckets
        else { return nil }
        return ArchiveJournal(archive: fields[0], archiveInode: inode, absorbed: fields[2])
    }

    /// Whether the archive named in the journal is the new one (the rename happened).
    func isArchiveInPlace(in directory: String) -> Bool {
        (try? FileSystem.status(ofPath: directory + "/" + archive).inode) == archiveInode
    }

    /// Writes the journal durably.
    ///
    /// - Throws: `MultiprocessError.fileFailure` (no partial journal is left).
    func write(in directory: String) throws(MultiprocessError) {
        try DurableFile.write(Array("\(archive)\n\(archiveInode)\n\(absorbed)\n".utf8), to: Self.path(in: directory))
    }
}
