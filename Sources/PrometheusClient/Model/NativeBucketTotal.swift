/// The native buckets of one series added up from several tables (a recorder's generations, the
/// files of several processes), as Prometheus adds native histograms: every table is brought to the
/// lowest schema among them (bucket `i` at schema `s` falls into bucket `ceil(i / 2^(s - t))` at
/// schema `t`), bucket counts are added per index, and the zero buckets are reconciled to the widest
/// zero threshold: a bucket reaching below it joins the zero bucket, and when such a bucket reaches
/// above it too, the threshold grows to that bucket's upper bound so that no observation is split.
///
/// The result does not depend on the order tables are added in. Pure: tested on values in memory.
package struct NativeBucketTotal: Sendable {
    /// The schema of the total: the lowest of the tables added (nil before the first).
    private(set) var schema: Int32?
    /// The widest zero threshold of the tables added, possibly raised to a bucket bound.
    private(set) var zeroThreshold = 0.0
    private(set) var zeroCount: Int64 = 0
    /// Counts by bucket key (`index * 2`, plus 1 for the negative side).
    private var counts: [Int64: Int64] = [:]

    package init() {}

    /// Adds one table: its schema, zero threshold, zero bucket and buckets (`key` is `index * 2`,
    /// plus 1 for the negative side). Buckets of count 0 are ignored; counts saturate rather than
    /// wrap. Costs O(buckets), plus O(buckets held) when the schema drops or the threshold grows.
    package mutating func add(
        schema tableSchema: Int32, zeroThreshold tableThreshold: Double, zeroCount tableZeroCount: Int64,
        buckets: some Sequence<(key: Int64, count: Int64)>
    ) {
        var schemaDropped = false
        if let current = schema, tableSchema < current {
            let steps = Int(current - tableSchema)
            var reduced: [Int64: Int64] = [:]
            reduced.reserveCapacity(counts.count)
            for (key, count) in counts {
                Self.addSaturating(count, to: &reduced[Self.reduced(key, by: steps), default: 0])
            }
            counts = reduced
            schema = tableSchema
            schemaDropped = true
        } else if schema == nil {
            schema = tableSchema
        }
        let steps = Int(tableSchema - schema!)
        Self.addSaturating(tableZeroCount, to: &zeroCount)
        let widened = tableThreshold > zeroThreshold
        if widened { zeroThreshold = tableThreshold }
        let lastSwallowed = lastSwallowedIndex()
        for (key, count) in buckets where count > 0 {
            let target = Self.reduced(key, by: steps)
            if let lastSwallowed, Int(target >> 1) <= lastSwallowed {
                swallow(index: Int(target >> 1), count: count)
            } else {
                Self.addSaturating(count, to: &counts[target, default: 0])
            }
        }
        // A wider threshold, or coarser buckets, may reach into the zero bucket.
        if widened || schemaDropped, let lastSwallowed {
            for (key, count) in counts where Int(key >> 1) <= lastSwallowed {
                counts.removeValue(forKey: key)
                swallow(index: Int(key >> 1), count: count)
            }
        }
    }

    /// Adds another total.
    package mutating func add(_ other: NativeBucketTotal) {
        guard let otherSchema = other.schema else { return }
        add(
            schema: otherSchema, zeroThreshold: other.zeroThreshold, zeroCount: other.zeroCount,
            buckets: other.counts.lazy.map { (key: $0.key, count: $0.value) })
    }

    /// Whether no table was added.
    package var isEmpty: Bool { schema == nil }

    /// The buckets by side, each sorted by index.
    package var bucketsBySide: (positive: [(index: Int, count: Int64)], negative: [(index: Int, count: Int64)]) {
        var positive: [(index: Int, count: Int64)] = []
        var negative: [(index: Int, count: Int64)] = []
        for (key, count) in counts where count > 0 {
            if key & 1 == 0 { positive.append((Int(key >> 1), count)) } else { negative.append((Int(key >> 1), count)) }
        }
        return (positive.sorted { $0.index < $1.index }, negative.sorted { $0.index < $1.index })
    }

    /// The total as a native histogram value with `sum`; its count is the zero bucket plus every
    /// bucket, so that it always matches the buckets (what Prometheus checks).
    package func histogram(sum: Double, fallbackSchema: Int32 = 0) -> NativeHistogram {
        let (positive, negative) = bucketsBySide
        let positiveEncoded = NativeBucketMath.spansAndDeltas(positive)
        let negativeEncoded = NativeBucketMath.spansAndDeltas(negative)
        var total = zeroCount
        for bucket in positive { Self.addSaturating(bucket.count, to: &total) }
        for bucket in negative { Self.addSaturating(bucket.count, to: &total) }
        return NativeHistogram(
            count: Double(total), sum: sum, schema: schema ?? fallbackSchema, zeroThreshold: zeroThreshold,
            zeroCount: Double(zeroCount), positiveSpans: positiveEncoded.spans,
            negativeSpans: negativeEncoded.spans, positiveDeltas: positiveEncoded.deltas,
            negativeDeltas: negativeEncoded.deltas)
    }

    /// The highest bucket index (either side) that lies partly or wholly inside the zero bucket at
    /// the current schema: the bucket holding the threshold. Nil when the threshold is 0.
    private func lastSwallowedIndex() -> Int? {
        guard let schema, zeroThreshold > 0, zeroThreshold.isFinite else { return nil }
        return NativeBucketMath.index(of: zeroThreshold, schema: schema)
    }

    /// Moves a bucket's count into the zero bucket; a bucket reaching above the threshold widens it
    /// to the bucket's upper bound.
    private mutating func swallow(index: Int, count: Int64) {
        Self.addSaturating(count, to: &zeroCount)
        if let schema {
            let upper = NativeBucketMath.upperBound(index: index, schema: schema)
            if upper > zeroThreshold && upper.isFinite { zeroThreshold = upper }
        }
    }

    private static func reduced(_ key: Int64, by steps: Int) -> Int64 {
        guard steps > 0 else { return key }
        return Int64(NativeBucketMath.reduce(index: Int(key >> 1), by: steps)) * 2 + (key & 1)
    }

    private static func addSaturating(_ value: Int64, to total: inout Int64) {
        let (sum, overflow) = total.addingReportingOverflow(value)
        total = overflow ? (value > 0 ? .max : .min) : sum
    }
}
