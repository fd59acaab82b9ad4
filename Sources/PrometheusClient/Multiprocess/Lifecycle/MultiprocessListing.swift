import PrometheusSystem

/// What a multiprocess directory holds for a merge: its `.db` files (sorted by their bytes, so that
/// sums always add up in the same order), its storage-failure markers, and the entries that cannot
/// be metrics files although they are named like them (reported, never skipped silently).
package struct MultiprocessListing {
    /// The `.db` files with their inode numbers and whether the directory says they are regular files
    /// (`readdir` gives both for free: the inode tells a replaced file from a known one, the kind
    /// spares a `stat` per file on a cold merge).
    package var files: [(name: String, inode: UInt64, isRegular: Bool)] = []
    package var markers: [StorageFailureMarker] = []
    /// The companion files (exemplars, native buckets: ``CompanionFileName``), with their inodes.
    package var companionFiles: [(name: CompanionFileName, inode: UInt64)] = []
    /// The writer leases (`writer_<identity>.lock`), by identity, with their inodes.
    package var leases: [(identity: String, inode: UInt64)] = []
    /// Temporary files (`<name>.<random>.tmp`): what a writer killed while creating a file, or a
    /// fold in progress, leaves.
    package var temporaryFiles: [String] = []
    /// What each of `files` is named after (nil for names that are not multiprocess files), parsed
    /// once per listing: a listing is reused for as long as the directory does not change.
    package var names: [DBFileName?] = []
    /// The writers of the listing, by identity.
    package var writers: [String: WriterRecord] = [:]
    /// How many of `files` are archives.
    package var archiveCount = 0
    /// Entries named like `.db` files whose names are not UTF-8.
    package var problems: [MultiprocessProblem] = []

    /// The identities that have `.db` files or failure markers (a lease alone, like the one a
    /// claiming writer holds, does not count).
    package var identitiesWithFiles: Set<String> {
        Set(writers.values.filter { !$0.files.isEmpty || !$0.markers.isEmpty }.map(\.identity))
    }

    /// An empty listing (nothing listed yet).
    package init() {}

    private static let temporarySuffix = ".tmp"

    /// Lists `path`: the one listing of a multiprocess directory, for the writer, the master, the
    /// archiver and the command-line tool alike.
    ///
    /// - Throws: the `Errno` of listing the directory.
    package static func read(_ path: String) throws(Errno) -> MultiprocessListing {
        let entries = try DirectoryStream.entries(of: path) { name in
            DBFileName.hasDBSuffix(name) || WriterLease.looksLikeLease(name) || CompanionFileName.hasSuffix(name)
                || (name.starts(with: StorageFailureMarker.prefix.utf8)
                    && name.reversed().starts(with: StorageFailureMarker.suffix.utf8.reversed()))
                || name.reversed().starts(with: Self.temporarySuffix.utf8.reversed())
        }
        var listing = MultiprocessListing()
        // Sorted by bytes before any string is made, so sums always add up in the same order.
        for index in byteOrder(of: entries) {
            let entry = entries[index]
            guard let name = entry.name.withUnsafeBufferPointer({ String(validatingUTF8Bytes: $0) }) else {
                let shown = String(decoding: entry.name, as: UTF8.self)
                listing.problems.append(
                    .init(path: path + "/" + shown, reason: "\(DBFileError.invalidFileName(shown))"))
                continue
            }
            if DBFileName.hasDBSuffix(entry.name) {
                listing.files.append((name, entry.inode, entry.kind == .regular))
            } else if let companion = CompanionFileName(fileName: name) {
                listing.companionFiles.append((companion, entry.inode))
            } else if let marker = StorageFailureMarker(fileName: name) {
                listing.markers.append(marker)
            } else if let identity = WriterLease.identity(ofFileName: name) {
                listing.leases.append((identity, entry.inode))
            } else if name.hasSuffix(Self.temporarySuffix) {
                listing.temporaryFiles.append(name)
            }
        }
        listing.names = listing.files.map { DBFileName(fileName: $0.name) }
        listing.archiveCount = listing.names.filter { $0?.isArchive == true }.count
        listing.writers = WriterRecord.writers(of: listing)
        return listing
    }

    /// The positions of `entries` in the order of their names' bytes. The names are gathered into
    /// one buffer first, so that the sort compares spans of it and moves integers, not arrays: it
    /// was a quarter of listing a directory of 3,000 files.
    private static func byteOrder(of entries: [DirectoryStream.Entry]) -> [Int] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.reduce(0) { $0 + $1.name.count })
        var spans: [Range<Int>] = []
        spans.reserveCapacity(entries.count)
        for entry in entries {
            spans.append(bytes.count..<(bytes.count + entry.name.count))
            bytes += entry.name
        }
        var order = Array(entries.indices)
        bytes.withUnsafeBytes { names in
            spans.withUnsafeBufferPointer { spans in
                order.sort { lhs, rhs in
                    ByteIdentity.precedes(
                        UnsafeRawBufferPointer(rebasing: names[spans[lhs]]),
                        UnsafeRawBufferPointer(rebasing: names[spans[rhs]]))
                }
            }
        }
        return order
    }
}
