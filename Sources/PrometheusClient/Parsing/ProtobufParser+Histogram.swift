extension ProtobufParser {
    /// The fields of one `Histogram` message, classic and native.
    private struct HistogramFields {
        var count: UInt64 = 0
        var countFloat = 0.0
        var sum = 0.0
        var buckets: [(bound: Double, count: Double, exemplar: Exemplar?)] = []
        var created: Double?
        var schema: Int32?
        var zeroThreshold = 0.0
        var zeroCount: UInt64 = 0
        var zeroCountFloat = 0.0
        var negativeSpans: [NativeHistogram.BucketSpan] = []
        var positiveSpans: [NativeHistogram.BucketSpan] = []
        var negativeDeltas: [Int64] = []
        var positiveDeltas: [Int64] = []
        var negativeCounts: [Double] = []
        var positiveCounts: [Double] = []
        var exemplars: [Exemplar] = []
        /// Whether any native field was present.
        var isNative = false

        var total: Double { countFloat > 0 ? countFloat : Double(count) }

        mutating func read(_ field: ProtobufWire.Field, _ bytes: Bytes) throws(ProtobufParseError) {
            switch field.number {
            case 1: count = try varint(field)
            case 4: countFloat = try double(field)
            case 2: sum = try double(field)
            case 3: buckets.append(try bucket(try payload(field), bytes))
            case 5:
                schema = Int32(truncatingIfNeeded: ProtobufWire.unZigZag(try varint(field)))
                isNative = true
            case 6:
                zeroThreshold = try double(field)
                isNative = true
            case 7: zeroCount = try varint(field)
            case 8: zeroCountFloat = try double(field)
            case 9: negativeSpans.append(try span(try payload(field), bytes))
            case 12: positiveSpans.append(try span(try payload(field), bytes))
            case 10: negativeDeltas += try zigZags(field, bytes)
            case 13: positiveDeltas += try zigZags(field, bytes)
            case 11: negativeCounts += try doubles(field, bytes)
            case 14: positiveCounts += try doubles(field, bytes)
            case 15: created = try timestampSeconds(try payload(field), bytes)
            case 16: exemplars.append(try exemplar(try payload(field), bytes))
            default: break
            }
        }

        /// One classic bucket: its bound, cumulative count and exemplar.
        private func bucket(_ body: Range<Int>, _ bytes: Bytes) throws(ProtobufParseError) -> (
            bound: Double, count: Double, exemplar: Exemplar?
        ) {
            var bound = 0.0
            var cumulative: UInt64 = 0
            var cumulativeFloat = 0.0
            var exemplar: Exemplar?
            try forEachField(in: body, bytes) { inner throws(ProtobufParseError) in
                switch inner.number {
                case 1: cumulative = try varint(inner)
                case 2: bound = try double(inner)
                case 3: exemplar = try ProtobufParser.exemplar(try payload(inner), bytes)
                case 4: cumulativeFloat = try double(inner)
                default: break
                }
            }
            return (bound, cumulativeFloat > 0 ? cumulativeFloat : Double(cumulative), exemplar)
        }

        /// One native bucket span; reading one marks the histogram native.
        private mutating func span(_ body: Range<Int>, _ bytes: Bytes) throws(ProtobufParseError)
            -> NativeHistogram.BucketSpan
        {
            var offset: Int32 = 0
            var length: UInt32 = 0
            try forEachField(in: body, bytes) { inner throws(ProtobufParseError) in
                if inner.number == 1 { offset = Int32(truncatingIfNeeded: ProtobufWire.unZigZag(try varint(inner))) }
                if inner.number == 2 { length = UInt32(truncatingIfNeeded: try varint(inner)) }
            }
            isNative = true
            return NativeHistogram.BucketSpan(offset: offset, length: length)
        }

        var nativeHistogram: NativeHistogram {
            // The no-op span writers add to mark a histogram without buckets as native.
            let spans = positiveSpans.filter { $0.length > 0 || $0.offset != 0 }
            var histogram = NativeHistogram(
                count: total, sum: sum, schema: schema ?? 0, zeroThreshold: zeroThreshold,
                zeroCount: zeroCountFloat > 0 ? zeroCountFloat : Double(zeroCount), positiveSpans: spans,
                negativeSpans: negativeSpans, positiveDeltas: positiveDeltas, negativeDeltas: negativeDeltas,
                exemplars: exemplars)
            // A float histogram keeps absolute counts instead of deltas.
            if !positiveCounts.isEmpty || !negativeCounts.isEmpty {
                histogram.positiveCounts = positiveCounts
                histogram.negativeCounts = negativeCounts
                histogram.positiveDeltas = []
                histogram.negativeDeltas = []
            }
            return histogram
        }
    }

    /// Appends the samples of one histogram (or gauge histogram) message: its native sample, its
    /// classic buckets with `_count` and `_sum` (`_gcount`, `_gsum`), and `_created`.
    static func appendHistogram(
        _ body: Range<Int>, _ bytes: Bytes, labels: [Label], timestamp: Timestamp?, to family: inout MetricFamily
    ) throws(ProtobufParseError) {
        var fields = HistogramFields()
        try forEachField(in: body, bytes) { field throws(ProtobufParseError) in try fields.read(field, bytes) }
        let base = family.name
        let isGauge = family.type == .gaugeHistogram
        if fields.isNative {
            family.samples.append(
                Sample(
                    name: base, labels: labels, value: 0, timestamp: timestamp, nativeHistogram: fields.nativeHistogram)
            )
        }
        if !fields.buckets.isEmpty || !fields.isNative {
            var buckets = fields.buckets
            if buckets.last?.bound != .infinity { buckets.append((.infinity, fields.total, nil)) }
            for bucket in buckets {
                family.samples.append(
                    Sample(
                        name: base + "_bucket", labels: labels + [Label("le", GoFloatFormat.string(bucket.bound))],
                        value: bucket.count, timestamp: timestamp, exemplar: bucket.exemplar))
            }
            family.samples.append(
                Sample(
                    name: base + (isGauge ? "_gcount" : "_count"), labels: labels, value: fields.total,
                    timestamp: timestamp))
            family.samples.append(
                Sample(
                    name: base + (isGauge ? "_gsum" : "_sum"), labels: labels, value: fields.sum, timestamp: timestamp))
        }
        if let created = fields.created {
            family.samples.append(Sample(name: base + "_created", labels: labels, value: created, timestamp: timestamp))
        }
    }
}
