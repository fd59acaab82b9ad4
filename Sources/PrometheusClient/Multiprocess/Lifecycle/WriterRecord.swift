/// Everything of one writer identity a directory listing shows: its `.db` files, failure markers and
/// lease.
package struct WriterRecord {
    package var identity: String
    package var files: [(name: DBFileName, inode: UInt64)] = []
    package var markers: [StorageFailureMarker] = []
    package var companionFiles: [CompanionFileName] = []
    package var leaseInode: UInt64?

    /// The writers of a listing, by identity (archives belong to nobody).
    package static func writers(of listing: MultiprocessListing) -> [String: WriterRecord] {
        var writers: [String: WriterRecord] = [:]
        for (file, parsed) in zip(listing.files, listing.names) {
            guard let name = parsed, !name.isArchive else { continue }
            writers[name.processIdentifier, default: WriterRecord(identity: name.processIdentifier)].files.append(
                (name, file.inode))
        }
        for marker in listing.markers {
            writers[marker.processIdentifier, default: WriterRecord(identity: marker.processIdentifier)].markers
                .append(marker)
        }
        for companion in listing.companionFiles where !companion.name.isArchive {
            let identity = companion.name.processIdentifier
            writers[identity, default: WriterRecord(identity: identity)].companionFiles.append(companion.name)
        }
        for lease in listing.leases {
            writers[lease.identity, default: WriterRecord(identity: lease.identity)].leaseInode = lease.inode
        }
        return writers
    }

    /// Whether a dead writer leaves anything for archiving to do: live-mode files to delete, durable
    /// files or markers to fold, a lease to remove. (`all`-mode gauges stay, so a dead writer with only
    /// those needs nothing.)
    package var needsReaping: Bool {
        leaseInode != nil || !markers.isEmpty || !companionFiles.isEmpty
            || files.contains { $0.name.kind != .gauge(.all) }
    }
}
