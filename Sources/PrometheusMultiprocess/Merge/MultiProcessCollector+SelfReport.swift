import PrometheusClient

extension MultiProcessCollector {
    /// The collector's self-metrics for one collection: what it skipped, the writers by liveness,
    /// the directory's files, bytes and archives, the writers it reaped, and how long the previous
    /// collection took.
    struct SelfReport {
        var listing: MultiprocessListing
        var outcome: MultiprocessMerger.Outcome
        var verdicts: [String: WriterVerdict]
        var reapedWriters: Int
        var previousDuration: Double
        var fileSystem: MultiprocessFileSystem
        var pendingFolds: Int
        var directoryMissing: Bool
        var directoryLosses: Int

        /// The self-metric families, in no particular order.
        func families() -> [MetricFamily] {
            let alive = verdicts.values.reduce(0) { $0 + ($1.isAlive ? 1 : 0) }
            return [
                gauge(
                    MultiProcessCollector.unreadableFilesFamily,
                    help:
                        "Multiprocess files skipped in the latest collection because they could not be read or parsed.",
                    value: listing.problems.count + outcome.unreadableFiles.count),
                gauge(
                    MultiProcessCollector.unreadableEntriesFamily,
                    help:
                        "Entries of multiprocess files skipped in the latest collection because they cannot be valid series.",
                    value: outcome.skippedEntries.count),
                MetricFamily(
                    name: MultiProcessCollector.writersFamily,
                    help: "Writers of the multiprocess directory, by liveness.", type: .gauge,
                    samples: [
                        Sample(
                            name: MultiProcessCollector.writersFamily, labels: [Label("state", "alive")],
                            value: Double(alive)),
                        Sample(
                            name: MultiProcessCollector.writersFamily, labels: [Label("state", "dead")],
                            value: Double(verdicts.count - alive)),
                    ]),
                gauge(
                    MultiProcessCollector.filesFamily,
                    help: "The .db files in the multiprocess directory at the latest collection.",
                    value: listing.files.count),
                gauge(
                    MultiProcessCollector.usedBytesFamily,
                    help: "Bytes in use in the .db files merged by the latest collection.",
                    value: outcome.usedBytes),
                gauge(
                    MultiProcessCollector.archiveFilesFamily,
                    help: "Archive files that dead writers' values are folded into.",
                    value: listing.archiveCount),
                MetricFamily(
                    name: MultiProcessCollector.reapedWritersFamily,
                    help: "Dead writers whose files this collector archived.",
                    type: .counter,
                    samples: [
                        Sample(name: MultiProcessCollector.reapedWritersFamily + "_total", value: Double(reapedWriters))
                    ]),
                MetricFamily(
                    name: MultiProcessCollector.mergeDurationFamily,
                    help: "Seconds the previous collection took (listing, judging writers, merging, archiving).",
                    type: .gauge,
                    samples: [Sample(name: MultiProcessCollector.mergeDurationFamily, value: previousDuration)]),
                gauge(
                    MultiProcessCollector.pendingFoldsFamily,
                    help:
                        "Dead writers whose files could not all be folded into the archives yet (a full disk); retried until they are.",
                    value: pendingFolds),
                gauge(
                    MultiProcessCollector.directoryMissingFamily,
                    help: "1 while the multiprocess directory is missing (deleted; writers make it again).",
                    value: directoryMissing ? 1 : 0),
                MetricFamily(
                    name: MultiProcessCollector.directoryLossesFamily,
                    help: "Times this collector found the multiprocess directory deleted or replaced.",
                    type: .counter,
                    samples: [
                        Sample(
                            name: MultiProcessCollector.directoryLossesFamily + "_total", value: Double(directoryLosses)
                        )
                    ]),
            ] + unsafeFileSystemFamilies()
        }

        /// `prometheus_multiproc_unsafe_filesystem{filesystem="9p"} 1` when the directory is on a file
        /// system multiprocess mode cannot trust and was used anyway (``UnsafeFileSystemPolicy/warn``).
        private func unsafeFileSystemFamilies() -> [MetricFamily] {
            guard fileSystem.unsafeReason != nil else { return [] }
            let name = MultiProcessCollector.unsafeFileSystemFamily
            return [
                MetricFamily(
                    name: name,
                    help:
                        "1 when the multiprocess directory is on a file system whose shared mappings or locks cannot be trusted.",
                    type: .gauge,
                    samples: [Sample(name: name, labels: [Label("filesystem", fileSystem.name)], value: 1)])
            ]
        }

        private func gauge(_ name: String, help: String, value: Int) -> MetricFamily {
            MetricFamily(name: name, help: help, type: .gauge, samples: [Sample(name: name, value: Double(value))])
        }
    }
}
