/// The empty file through which a worker that could not create its counter file (a disk full from
/// the start) still tells the master how many series it keeps in memory: the count is in the name,
/// `storage_failures_<id>_<incarnation>_<count>.marker`, so updating it needs no free blocks, only a
/// rename. The master adds the counts of all markers to `prometheus_multiproc_storage_failures_total`;
/// `markProcessDead` folds them into the counter archive. The name does not end in `.db`, so Python
/// masters ignore it.
package struct StorageFailureMarker: Sendable, Hashable {
    package static let prefix = "storage_failures_"
    package static let suffix = ".marker"

    /// Family name of the self-metric that counts series kept in memory because of a file failure:
    /// the first entry of a writer's counter file, and what markers add up to.
    package static let counterFamilyName = "prometheus_multiproc_storage_failures"
    /// Help text of that self-metric.
    package static let counterHelp =
        "Series this process keeps in memory because its multiprocess file could not be created or grown."
    /// The self-metric's `.db` key.
    package static var counterKey: DBKey {
        DBKey(familyName: counterFamilyName, sampleName: counterFamilyName + "_total", labels: [], help: counterHelp)
    }

    /// The process identifier (pid) that writes it.
    package var processIdentifier: String
    /// A random token per store, so that a process reusing a dead one's pid never takes over its marker.
    package var incarnation: String
    /// Series kept in memory so far.
    package var count: Int

    package init(processIdentifier: String, incarnation: String, count: Int) {
        self.processIdentifier = processIdentifier
        self.incarnation = incarnation
        self.count = count
    }

    /// Parses a file name; nil for names that are not markers.
    package init?(fileName: String) {
        guard fileName.hasPrefix(Self.prefix), fileName.hasSuffix(Self.suffix) else { return nil }
        let fields = fileName.dropFirst(Self.prefix.count).dropLast(Self.suffix.count).split(
            separator: "_", omittingEmptySubsequences: false)
        guard fields.count == 3, !fields[0].isEmpty, !fields[1].isEmpty, let count = Int(fields[2]), count >= 0
        else { return nil }
        self.init(processIdentifier: String(fields[0]), incarnation: String(fields[1]), count: count)
    }

    /// The file name.
    package var fileName: String {
        "\(Self.prefix)\(processIdentifier)_\(incarnation)_\(count)\(Self.suffix)"
    }
}
