import PrometheusClient
import PrometheusSystem

/// What a merge makes of one entry's key: the series it feeds, with the labels it is exposed with.
///
/// This is where a key from a file is checked against what the file's kind can hold, so that
/// nothing a worker (or a bit flip, or a forger) wrote can make the exposition invalid: names must
/// not be empty, label names must not start with `__`, the sample name must be one the kind writes
/// (`<family>_total` in a counter file, `<family>_bucket` with a numeric `le` or `<family>_sum` in a
/// histogram file, ...). Pure: it works on decoded keys and is tested on them directly.
struct MergedSeriesKey: Hashable, Sendable {
    var familyName: ByteString
    var sampleName: ByteString
    /// Labels without `le` for histogram buckets; with `pid` for the per-process gauge modes.
    var labels: [Label]
    /// The bucket bound of a histogram bucket.
    var bucketBound: Double?

    init(familyName: ByteString, sampleName: ByteString, labels: [Label], bucketBound: Double?) {
        self.familyName = familyName
        self.sampleName = sampleName
        self.labels = labels
        self.bucketBound = bucketBound
    }

    /// Interprets `key`, found at `offset` in a file of `kind` written by `processIdentifier`.
    ///
    /// - Throws: `DBFileError.invalidEntry` saying why the entry cannot be merged.
    init(key: DBKey, kind: StorageKind, processIdentifier: String, offset: Int) throws(DBFileError) {
        func reject(_ reason: String) -> DBFileError { .invalidEntry(offset: offset, reason: reason) }
        var family = key.familyName
        guard !family.isEmpty else { throw reject("the metric name is empty") }
        var labels = key.labels
        for label in labels {
            guard !label.name.isEmpty else { throw reject("a label name is empty") }
            guard !label.name.hasPrefix("__") else {
                throw reject("the label name \(label.name) is reserved (starts with __)")
            }
        }
        var bound: Double?
        let sample = key.sampleName
        func isSample(_ suffix: String) -> Bool {
            ByteIdentity.equal(sample, concatenating: family, suffix)
        }
        let leIndex = labels.firstIndex { $0.name == "le" }
        switch kind {
        case .counter:
            guard isSample("_total") else { throw reject("a counter file holds \(family)_total, not \(sample)") }
        case .summary:
            guard isSample("_count") || isSample("_sum") else {
                throw reject("a summary file holds \(family)_count and \(family)_sum, not \(sample)")
            }
        case .histogram:
            if isSample("_bucket") {
                guard let leIndex else { throw reject("the bucket \(sample) has no le label") }
                guard let parsed = Self.parseBound(labels[leIndex].value), !parsed.isNaN else {
                    throw reject("the bucket bound \"\(labels[leIndex].value)\" is not a number")
                }
                bound = parsed
                labels.remove(at: leIndex)
            } else {
                guard isSample("_sum"), leIndex == nil else {
                    throw reject("a histogram file holds \(family)_bucket{le} and \(family)_sum, not \(sample)")
                }
            }
        case .info:
            // Written as [<name>_info, <name>_info, ...] so that a Python master shows a gauge family
            // whose samples carry its name; [<name>, <name>_info, ...] by earlier versions.
            if ByteIdentity.equal(sample, family), family.hasSuffix("_info"), family.utf8.count > 5 {
                family = String(family.dropLast(5))
            } else if !isSample("_info") {
                throw reject("an info file holds \(family)_info, not \(sample)")
            }
        case .stateSet:
            guard isSample(""), labels.contains(where: { ByteIdentity.equal($0.name, family) }) else {
                throw reject("a state set file holds \(family){\(family)=\"<state>\"}, not \(sample)")
            }
        case .gauge(let mode):
            guard isSample("") else { throw reject("a gauge file holds \(family), not \(sample)") }
            if MergeRule(.gauge(mode)) == .perProcess {
                // The pid label replaces any label of the same name, as Python's dict() does.
                labels.removeAll { $0.name == "pid" }
                labels.append(Label("pid", processIdentifier))
            }
        }
        familyName = ByteString(family)
        sampleName = ByteString(sample)
        self.labels = labels
        bucketBound = bound
    }

    /// The series a native bucket table's key names (``NativeBucketFileLayout``): `[<name>, <name>,
    /// labels, help]`, with the labels of the histogram series (no `le`).
    ///
    /// - Throws: `DBFileError.invalidEntry` saying why the key names no histogram series.
    static func nativeHistogram(_ key: DBKey, offset: Int) throws(DBFileError) -> MergedSeriesKey {
        func reject(_ reason: String) -> DBFileError { .invalidEntry(offset: offset, reason: reason) }
        guard !key.familyName.isEmpty, ByteIdentity.equal(key.sampleName, key.familyName) else {
            throw reject("a native table's key names \(key.sampleName), not its histogram \(key.familyName)")
        }
        for label in key.labels {
            guard !label.name.isEmpty, !label.name.hasPrefix("__"), label.name != "le" else {
                throw reject("the label name \(label.name) cannot label a histogram series")
            }
        }
        return MergedSeriesKey(
            familyName: ByteString(key.familyName), sampleName: ByteString(key.familyName), labels: key.labels,
            bucketBound: nil)
    }

    /// A bucket bound as the Python client writes it (`1.0`, `+Inf`), or as Python's `float()` reads it.
    static func parseBound(_ text: String) -> Double? {
        switch text {
        case "+Inf", "Inf", "inf", "+inf": return .infinity
        case "-Inf", "-inf": return -.infinity
        default: return Double(text)
        }
    }
}
