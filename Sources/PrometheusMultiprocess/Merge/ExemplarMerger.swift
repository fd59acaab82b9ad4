import PrometheusClient
import PrometheusSystem

/// Finds the latest exemplar of every counter total and histogram bucket in a directory's exemplar
/// files (``ExemplarFileLayout``): across entries and processes, the one with the latest
/// timestamp. Files are read whole with plain reads, at most `ExemplarFileLayout.sizeLimit` bytes each; a file that
/// cannot be read is reported and skipped, as the merge skips `.db` files. Keys are decoded once and
/// remembered by their bytes.
///
/// Not thread-safe; ``MultiProcessCollector`` calls it under its lock.
final class ExemplarMerger {
    /// The most keys remembered; the memory is dropped and rebuilt beyond it.
    static let keyMemoryLimit = 100_000

    private var meanings: [[UInt8]: MergedSeriesKey?] = [:]

    /// The latest exemplars of the exemplar files `names` of `directory`, and the files that could
    /// not be read.
    func latest(directory: String, files names: [CompanionFileName]) -> (
        exemplars: [MergedSeriesKey: Exemplar], problems: [MultiprocessMerger.Problem]
    ) {
        var latest: [MergedSeriesKey: Exemplar] = [:]
        var problems: [MultiprocessMerger.Problem] = []
        if meanings.count > Self.keyMemoryLimit { meanings.removeAll() }
        for name in names {
            let path = directory + "/" + name.fileName
            do {
                guard let snapshot = try DBFileReader.snapshot(path: path, limit: ExemplarFileLayout.sizeLimit) else {
                    continue
                }
                try collect(snapshot.bytes, of: name, into: &latest)
            } catch {
                problems.append(.init(path: path, reason: "\(error)"))
            }
        }
        return (latest, problems)
    }

    private func collect(_ bytes: [UInt8], of name: CompanionFileName, into latest: inout [MergedSeriesKey: Exemplar])
        throws(DBFileError)
    {
        for (keyBytes, exemplar) in try ExemplarFileLayout.latestExemplars(in: bytes) {
            guard let key = meaning(of: keyBytes, file: name) else { continue }
            if let known = latest[key], !ExemplarFileLayout.isNewer(exemplar, than: known) { continue }
            latest[key] = exemplar
        }
    }

    /// The series a key names, or nil when it cannot carry an exemplar (not valid JSON, not a
    /// counter total or a histogram bucket by the rules ``MergedSeriesKey`` applies to values files).
    private func meaning(of keyBytes: [UInt8], file: CompanionFileName) -> MergedSeriesKey? {
        if let known = meanings[keyBytes] { return known }
        var meaning: MergedSeriesKey?
        if let key = try? keyBytes.withUnsafeBufferPointer({ buffer throws(DBKeyDecoder.Failure) in
            try DBKey(json: buffer)
        }) {
            meaning = try? MergedSeriesKey(
                key: key, kind: file.kind, processIdentifier: file.processIdentifier, offset: 0)
            if file.kind == .histogram && meaning?.bucketBound == nil { meaning = nil }
        }
        meanings[keyBytes] = meaning
        return meaning
    }
}
