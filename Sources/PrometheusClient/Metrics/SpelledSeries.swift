/// One line of a series other than its `_created` line, by what names it.
enum SeriesLine {
    /// A sample named `<family><suffix>`, the suffix at this position of
    /// ``SpelledSeries/sampleSuffixes``.
    case sample(Int)
    /// The classic bucket at this position of the metric's bounds: `<family>_bucket` with its `le`.
    case bucket(Int)
}

/// A series of a metric type that spells its lines itself, once: the line writer takes the bytes of
/// a scrape from it and collection takes its samples from it
/// (``Metric/writeSpelledLines(of:with:includeCreated:createdDigits:to:)`` and
/// ``Metric/appendSpelledSamples(of:labels:includeCreated:to:)``), so the two ways out cannot
/// disagree.
protocol SpelledSeries: AnyObject, Sendable {
    /// The suffixes of the sample names of ``SeriesLine/sample(_:)`` lines, e.g. `["_total"]`.
    static var sampleSuffixes: [String] { get }

    /// Whether the series has an exemplar to show (no lock): the writer that reserves room for a
    /// whole pass of series leaves such a series to the one that writes exemplars.
    var hasExemplar: Bool { get }

    /// The time its `_created` line shows, or nil for a type without one.
    var createdTimeIfAny: Double? { get }

    /// Calls `body` with each line but `_created`, in exposition order: what names it, its value, and
    /// (when `withExemplars`) its exemplar.
    func forEachLine(withExemplars: Bool, _ body: (SeriesLine, Double, Exemplar?) -> Void)
}

extension CounterChild: SpelledSeries {
    static let sampleSuffixes = ["_total"]

    var createdTimeIfAny: Double? { createdTime }

    @inline(__always)
    func forEachLine(withExemplars: Bool, _ body: (SeriesLine, Double, Exemplar?) -> Void) {
        body(.sample(0), value, withExemplars ? exemplar : nil)
    }
}

extension GaugeChild: SpelledSeries {
    static let sampleSuffixes = [""]

    var hasExemplar: Bool { false }

    var createdTimeIfAny: Double? { nil }

    @inline(__always)
    func forEachLine(withExemplars: Bool, _ body: (SeriesLine, Double, Exemplar?) -> Void) {
        body(.sample(0), value, nil)
    }
}

extension SummaryChild: SpelledSeries {
    static let sampleSuffixes = ["_count", "_sum"]

    var hasExemplar: Bool { false }

    var createdTimeIfAny: Double? { createdTime }

    @inline(__always)
    func forEachLine(withExemplars: Bool, _ body: (SeriesLine, Double, Exemplar?) -> Void) {
        body(.sample(0), count, nil)
        body(.sample(1), sum, nil)
    }
}

extension HistogramChild: SpelledSeries {
    static let sampleSuffixes = ["_count", "_sum"]

    var createdTimeIfAny: Double? { createdTime }

    /// Cumulative buckets, `_count` (the last of them) and `_sum`; as in the Python client, with
    /// negative buckets the sum is not a counter, so it is left out.
    @inline(__always)
    func forEachLine(withExemplars: Bool, _ body: (SeriesLine, Double, Exemplar?) -> Void) {
        let exemplars = withExemplars ? bucketExemplarsIfAny : nil
        var running = 0.0
        for bucket in 0..<bounds.count {
            running += storage.value(at: bucket + 1)
            body(.bucket(bucket), running, exemplars?[bucket])
        }
        body(.sample(0), running, nil)
        if (bounds.upperBounds.first ?? 0) >= 0 {
            body(.sample(1), sum, nil)
        }
    }
}
