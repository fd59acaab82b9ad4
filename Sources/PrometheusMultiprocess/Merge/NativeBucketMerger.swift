import PrometheusClient
import PrometheusSystem

/// Adds up the native histogram buckets of a directory's native files (``NativeBucketFileLayout``):
/// per series, every table of every process (live, dead and archived) brought to the lowest schema
/// and the widest zero threshold among them (``NativeBucketTotal``). Tables a writer marked removed
/// are left out. Files are read whole with plain reads, at most `NativeBucketFileLayout.sizeLimit` bytes each; a file
/// that cannot be read is reported and skipped, as the merge skips `.db` files. Keys are decoded
/// once and remembered by their bytes.
///
/// Not thread-safe; ``MultiProcessCollector`` calls it under its lock.
final class NativeBucketMerger {
    /// The most keys remembered; the memory is dropped and rebuilt beyond it.
    static let keyMemoryLimit = 100_000

    /// The merged buckets of one series, and whether its classic buckets are exposed too.
    struct Series {
        var total: NativeBucketTotal
        var keepsClassicBuckets: Bool
    }

    private var meanings: [[UInt8]: MergedSeriesKey?] = [:]

    /// The merged native buckets of the native files `names` of `directory`, by series
    /// (``MergedSeriesKey/nativeHistogram(_:offset:)``), the files that could not be read, and the
    /// entries skipped because their keys cannot name a histogram series.
    func merge(directory: String, files names: [CompanionFileName]) -> (
        series: [MergedSeriesKey: Series], problems: [MultiprocessMerger.Problem],
        skipped: [MultiprocessMerger.Problem]
    ) {
        var series: [MergedSeriesKey: Series] = [:]
        var problems: [MultiprocessMerger.Problem] = []
        var skipped: [MultiprocessMerger.Problem] = []
        if meanings.count > Self.keyMemoryLimit { meanings.removeAll() }
        for name in names {
            let path = directory + "/" + name.fileName
            let tables: [(key: [UInt8], table: NativeBucketFileLayout.Table)]
            do {
                guard let snapshot = try DBFileReader.snapshot(path: path, limit: NativeBucketFileLayout.sizeLimit)
                else { continue }
                tables = try NativeBucketFileLayout.tables(in: snapshot.bytes)
            } catch {
                problems.append(.init(path: path, reason: "\(error)"))
                continue
            }
            for (keyBytes, table) in tables where !table.isRemoved {
                guard let key = meaning(of: keyBytes) else {
                    skipped.append(
                        .init(path: path, reason: "a native table's key does not name a histogram series"))
                    continue
                }
                series[key, default: Series(total: NativeBucketTotal(), keepsClassicBuckets: false)].add(table)
            }
        }
        return (series, problems, skipped)
    }

    /// Every series' tables of `tables` added up, in the order the keys first appear, for an archive
    /// (tables marked removed are left out).
    static func totals(of tables: [(key: [UInt8], table: NativeBucketFileLayout.Table)]) -> [(
        key: [UInt8], flags: UInt32, total: NativeBucketTotal
    )] {
        var result: [(key: [UInt8], flags: UInt32, total: NativeBucketTotal)] = []
        var positions: [[UInt8]: Int] = [:]
        for (key, table) in tables where !table.isRemoved {
            let index: Int
            if let known = positions[key] {
                index = known
            } else {
                index = result.count
                positions[key] = index
                result.append((key, 0, NativeBucketTotal()))
            }
            var series = Series(total: result[index].total, keepsClassicBuckets: result[index].flags != 0)
            series.add(table)
            result[index].total = series.total
            result[index].flags = series.keepsClassicBuckets ? NativeBucketFileLayout.keepsClassicBucketsFlag : 0
        }
        return result
    }

    private func meaning(of keyBytes: [UInt8]) -> MergedSeriesKey? {
        if let known = meanings[keyBytes] { return known }
        var meaning: MergedSeriesKey?
        if let key = try? keyBytes.withUnsafeBufferPointer({ buffer throws(DBKeyDecoder.Failure) in
            try DBKey(json: buffer)
        }) {
            meaning = try? MergedSeriesKey.nativeHistogram(key, offset: 0)
        }
        meanings[keyBytes] = meaning
        return meaning
    }
}

extension NativeBucketMerger.Series {
    /// Adds one table; the classic buckets are exposed when any writer keeps them.
    mutating func add(_ table: NativeBucketFileLayout.Table) {
        total.add(
            schema: table.schema, zeroThreshold: table.zeroThreshold, zeroCount: table.zeroCount,
            buckets: table.buckets)
        keepsClassicBuckets = keepsClassicBuckets || table.keepsClassicBuckets
    }
}
