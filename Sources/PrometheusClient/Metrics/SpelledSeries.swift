/// A series of a metric type that spells its lines itself, once: the line writer takes the bytes of
/// a scrape from it and collection takes its samples from it
/// (``Metric/writeSpelledLines(of:with:includeCreated:createdDigits:to:)`` and
/// ``Metric/appendSpelledSamples(of:labels:includeCreated:to:)``), so the two ways out cannot
/// disagree.
///
/// Its lines, `_created` aside, are its metric's classic buckets (`<family>_bucket` with each `le`,
/// none but a histogram's) followed by samples named `<family><suffix>` for the first of
/// ``sampleSuffixes``; ``lineValues(into:)`` says how many there are. Values are handed over in a
/// buffer rather than through a closure, so that the writer's loop over them is plain code.
protocol SpelledSeries: AnyObject, Sendable {
    /// The suffixes of the sample names after the buckets, e.g. `["_total"]`.
    static var sampleSuffixes: [String] { get }

    /// Whether the series has an exemplar to show (no lock): the writer that reserves room for a
    /// whole pass of series leaves such a series to the one that writes exemplars.
    var hasExemplar: Bool { get }

    /// The time its `_created` line shows, or nil for a type without one.
    var createdTimeIfAny: Double? { get }

    /// Writes the values of its lines (buckets first) into `values`, which has room for its
    /// metric's buckets and every suffix, and returns how many it wrote.
    func lineValues(into values: UnsafeMutablePointer<Double>) -> Int

    /// The exemplar of its line at `index` (in the order of ``lineValues(into:)``), if any.
    func exemplar(ofLine index: Int) -> Exemplar?
}

extension CounterChild: SpelledSeries {
    static let sampleSuffixes = ["_total"]

    var createdTimeIfAny: Double? { createdTime }

    @inline(__always)
    func lineValues(into values: UnsafeMutablePointer<Double>) -> Int {
        values[0] = value
        return 1
    }

    func exemplar(ofLine index: Int) -> Exemplar? { exemplar }
}

extension GaugeChild: SpelledSeries {
    static let sampleSuffixes = [""]

    var hasExemplar: Bool { false }

    var createdTimeIfAny: Double? { nil }

    @inline(__always)
    func lineValues(into values: UnsafeMutablePointer<Double>) -> Int {
        values[0] = value
        return 1
    }

    func exemplar(ofLine index: Int) -> Exemplar? { nil }
}

extension SummaryChild: SpelledSeries {
    static let sampleSuffixes = ["_count", "_sum"]

    var hasExemplar: Bool { false }

    var createdTimeIfAny: Double? { createdTime }

    @inline(__always)
    func lineValues(into values: UnsafeMutablePointer<Double>) -> Int {
        values[0] = count
        values[1] = sum
        return 2
    }

    func exemplar(ofLine index: Int) -> Exemplar? { nil }
}

extension HistogramChild: SpelledSeries {
    static let sampleSuffixes = ["_count", "_sum"]

    var createdTimeIfAny: Double? { createdTime }

    /// Cumulative buckets, `_count` (the last of them) and `_sum`; as in the Python client, with
    /// negative buckets the sum is not a counter, so it is left out.
    @inline(__always)
    func lineValues(into values: UnsafeMutablePointer<Double>) -> Int {
        let buckets = bounds.count
        var running = 0.0
        for bucket in 0..<buckets {
            running += storage.value(at: bucket + 1)
            values[bucket] = running
        }
        values[buckets] = running
        guard (bounds.upperBounds.first ?? 0) >= 0 else { return buckets + 1 }
        values[buckets + 1] = sum
        return buckets + 2
    }

    func exemplar(ofLine index: Int) -> Exemplar? {
        guard index < bounds.count else { return nil }
        return bucketExemplarsIfAny?[index]
    }
}
