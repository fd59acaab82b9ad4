/// Everything a value store needs to know to place the values of one series (one child of a metric).
///
/// In multiprocess mode each slot becomes one entry of the process's file, keyed by
/// `[familyName, slot.sampleName, slot.labels, help]`, exactly as the Python client keys it.
///
/// A descriptor is held by every child for its whole life, so it is two references: the
/// ``SeriesLayout`` its metric's children share (kind, names, help, slot templates) and the child's
/// label values, the same array its metric's child table keeps. Label pairs and full slots are
/// only spelled out when a multiprocess file needs their keys.
struct SeriesDescriptor: Sendable {
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

    /// What the children of one metric share.
    let layout: SeriesLayout
    /// The child's label values, in the order of ``SeriesLayout/labelNames``.
    let labelValues: [String]

    init(layout: SeriesLayout, labelValues: [String]) {
        self.layout = layout
        self.labelValues = labelValues
    }

    /// A descriptor with a layout of its own, for series outside a metric's child table.
    init(kind: StorageKind, familyName: String, help: String, labels: [Label], slotTemplates: [SlotTemplate]) {
        layout = SeriesLayout(
            kind: kind, familyName: familyName, help: help, labelNames: labels.map(\.name), slotTemplates: slotTemplates
        )
        labelValues = labels.map(\.value)
    }

    /// Which file (multiprocess) or pool (in memory) the values live in.
    var kind: StorageKind { layout.kind }
    /// The metric family name (counters without `_total`).
    var familyName: String { layout.familyName }
    /// The help text, part of the multiprocess key.
    var help: String { layout.help }
    /// The child's labels, in declaration order.
    var labels: [Label] { zip(layout.labelNames, labelValues).map { Label($0, $1) } }
    /// The stored values, in the order Python creates them (histogram: `_sum` then each bucket).
    var slotTemplates: [SlotTemplate] { layout.slotTemplates }

    /// The number of stored values.
    var slotCount: Int { layout.slotTemplates.count }

    /// The stored values with their full label sets.
    var slots: [Slot] {
        let labels = self.labels
        return layout.slotTemplates.map { template in
            Slot(sampleName: template.sampleName, labels: template.extraLabel.map { labels + [$0] } ?? labels)
        }
    }
}

/// What every series of one metric shares: the store kind, the family name and help of the
/// multiprocess keys, the label names and the stored values. One object per metric.
final class SeriesLayout: Sendable {
    let kind: StorageKind
    let familyName: String
    let help: String
    let labelNames: [String]
    let slotTemplates: [SeriesDescriptor.SlotTemplate]
    /// How the series record native buckets (histograms only), beside their slots.
    let native: NativeHistogramOptions?

    init(
        kind: StorageKind, familyName: String, help: String, labelNames: [String],
        slotTemplates: [SeriesDescriptor.SlotTemplate], native: NativeHistogramOptions? = nil
    ) {
        self.kind = kind
        self.familyName = familyName
        self.help = help
        self.labelNames = labelNames
        self.slotTemplates = slotTemplates
        self.native = native
    }

    /// The layout of a metric's children.
    convenience init(
        kind: StorageKind, definition: MetricDefinition, slotTemplates: [SeriesDescriptor.SlotTemplate],
        native: NativeHistogramOptions? = nil
    ) {
        self.init(
            kind: kind, familyName: definition.name, help: definition.help, labelNames: definition.labelNames,
            slotTemplates: slotTemplates, native: native)
    }
}
