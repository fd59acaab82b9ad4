/// Everything a value store needs to know to place the values of one series (one child of a metric).
///
/// In multiprocess mode each slot becomes one entry of the process's file, keyed by
/// `[familyName, slot.sampleName, slot.labels, help]`, exactly as the Python client keys it.
///
/// A descriptor is held by every child for its whole life, so it is built from parts its metric's
/// children share (names, help, the slot templates) plus the child's own label array: no allocation
/// per child. The full slots are only spelled out when a multiprocess file needs their keys.
struct SeriesDescriptor: Sendable, Hashable {
    /// One stored value: a sample name and its full label set (including `le` for buckets).
    struct Slot: Sendable, Hashable {
        var sampleName: String
        var labels: [Label]
    }

    /// One stored value of every child of a metric: its sample name, and the label the slot adds to
    /// the child's labels (`le` of a bucket, the state of an enum), if any.
    struct SlotTemplate: Sendable, Hashable {
        var sampleName: String
        var extraLabel: Label?
    }

    /// Which file (multiprocess) or pool (in memory) the values live in.
    var kind: StorageKind
    /// The metric family name (counters without `_total`).
    var familyName: String
    /// The help text, part of the multiprocess key.
    var help: String
    /// The child's labels, in declaration order.
    var labels: [Label]
    /// The stored values, in the order Python creates them (histogram: `_sum` then each bucket).
    var slotTemplates: [SlotTemplate]

    /// The number of stored values.
    var slotCount: Int { slotTemplates.count }

    /// The stored values with their full label sets.
    var slots: [Slot] {
        slotTemplates.map { template in
            Slot(sampleName: template.sampleName, labels: template.extraLabel.map { labels + [$0] } ?? labels)
        }
    }
}
