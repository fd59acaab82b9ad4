/// Everything a value store needs to know to place the values of one series (one child of a metric).
///
/// In multiprocess mode each slot becomes one entry of the process's file, keyed by
/// `[familyName, slot.sampleName, slot.labels, help]`, exactly as the Python client keys it.
struct SeriesDescriptor: Sendable, Hashable {
    /// One stored value: a sample name and its full label set (including `le` for buckets).
    struct Slot: Sendable, Hashable {
        var sampleName: String
        var labels: [Label]
    }

    /// Which file (multiprocess) or pool (in memory) the values live in.
    var kind: StorageKind
    /// The metric family name (counters without `_total`).
    var familyName: String
    /// The help text, part of the multiprocess key.
    var help: String
    /// The stored values, in the order Python creates them (histogram: `_sum` then each bucket).
    var slots: [Slot]
}
