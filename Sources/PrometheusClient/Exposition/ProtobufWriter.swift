/// Writes the Prometheus protobuf exposition (`application/vnd.google.protobuf;
/// proto=io.prometheus.client.MetricFamily; encoding=delimited`): each family one
/// `io.prometheus.client.MetricFamily` message, preceded by its length as a varint. Encoded by hand
/// (``ProtobufWire``); the field numbers are those of client_model's `metrics.proto`. It is the only
/// format in which Prometheus 2.x ingests native histograms.
///
/// A family's samples become one `Metric` per label set (without `le` and `quantile`): a counter's
/// `_total` its value, `_created` its created timestamp, a histogram's buckets, count, sum, created
/// time and native histogram one `Histogram`, a summary's quantiles, count and sum one `Summary`.
/// The format has no info or state-set types: info families become gauges named `<name>_info`,
/// state sets gauges, unknown families untyped, as Prometheus itself reads them from OpenMetrics.
/// Counter and gauge families are named after their samples (`requests_total`), histograms and
/// summaries after the family, as client_golang names them.
enum ProtobufWriter {
    /// `MetricType` numbers of the format.
    private enum ProtoType: UInt64 {
        case counter = 0
        case gauge = 1
        case summary = 2
        case untyped = 3
        case histogram = 4
        case gaugeHistogram = 5
    }

    /// Appends `family` as one length-delimited message.
    static func write(_ family: MetricFamily, escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer) {
        guard let message = message(for: family, escaping: escaping) else { return }
        var prefix = ProtobufWire.Writer()
        prefix.appendVarint(UInt64(message.count))
        buffer.append(prefix.bytes)
        buffer.append(message)
    }

    /// The `MetricFamily` message of `family`, or nil when it has no sample the format can carry.
    static func message(for family: MetricFamily, escaping: NameEscapingScheme) -> [UInt8]? {
        let groups = seriesGroups(of: family)
        var metrics: [[UInt8]] = []
        var name = family.name
        let type: ProtoType
        switch family.type {
        case .counter:
            type = .counter
            name = groups.lazy.compactMap { $0.samples.first { !$0.name.hasSuffix("_created") }?.name }.first ?? name
            metrics = groups.compactMap { counter($0, family: family, escaping: escaping) }
        case .gauge, .stateSet, .info, .unknown:
            type = family.type == .unknown ? .untyped : .gauge
            if family.type == .info { name = family.name + "_info" }
            for group in groups {
                for sample in group.samples where sample.nativeHistogram == nil {
                    var metric = ProtobufWire.Writer()
                    appendLabels(sample.labels, escaping: escaping, to: &metric)
                    var value = ProtobufWire.Writer()
                    value.double(1, sample.value)
                    metric.message(type == .untyped ? 5 : 2, value.bytes)
                    appendTimestamp(sample, to: &metric)
                    metrics.append(metric.bytes)
                    if family.type != .stateSet && family.type != .info { name = sample.name }
                }
            }
        case .summary:
            type = .summary
            metrics = groups.map { summary($0, family: family, escaping: escaping) }
        case .histogram, .gaugeHistogram:
            type = family.type == .histogram ? .histogram : .gaugeHistogram
            metrics = groups.map { histogram($0, family: family, escaping: escaping) }
        }
        guard !metrics.isEmpty || groups.isEmpty else { return nil }
        var message = ProtobufWire.Writer()
        message.string(1, escaping.escapeMetricName(name))
        if !family.help.isEmpty { message.string(2, family.help) }
        message.unsigned(3, type.rawValue)
        for metric in metrics { message.message(4, metric) }
        if !family.unit.isEmpty { message.string(5, family.unit) }
        return message.bytes
    }

    /// The samples of one series (one `Metric`): equal labels once `le` and `quantile` are set aside.
    private struct SeriesGroup {
        var labels: [Label]
        var samples: [Sample] = []
    }

    private static func seriesGroups(of family: MetricFamily) -> [SeriesGroup] {
        var groups: [SeriesGroup] = []
        var index: [[Label]: Int] = [:]
        let grouped =
            family.type == .histogram || family.type == .gaugeHistogram || family.type == .summary
            || family.type == .counter
        for sample in family.samples {
            guard grouped else {
                groups.append(SeriesGroup(labels: sample.labels, samples: [sample]))
                continue
            }
            let labels = sample.labels.filter { $0.name != "le" && $0.name != "quantile" }
                .sorted { ByteIdentity.precedes($0.name, $1.name) }
            if let existing = index[labels] {
                groups[existing].samples.append(sample)
            } else {
                index[labels] = groups.count
                groups.append(SeriesGroup(labels: labels, samples: [sample]))
            }
        }
        return groups
    }

    private static func counter(_ group: SeriesGroup, family: MetricFamily, escaping: NameEscapingScheme) -> [UInt8]? {
        guard let total = group.samples.first(where: { !$0.name.hasSuffix("_created") || $0.name == family.name })
        else { return nil }
        var metric = ProtobufWire.Writer()
        appendLabels(total.labels, escaping: escaping, to: &metric)
        var counter = ProtobufWire.Writer()
        counter.double(1, total.value)
        if let exemplar = total.exemplar { counter.message(2, exemplarMessage(exemplar)) }
        if let created = group.samples.first(where: { $0.name == family.name + "_created" }) {
            counter.message(3, timestampMessage(seconds: created.value))
        }
        metric.message(3, counter.bytes)
        appendTimestamp(total, to: &metric)
        return metric.bytes
    }

    private static func summary(_ group: SeriesGroup, family: MetricFamily, escaping: NameEscapingScheme) -> [UInt8] {
        var metric = ProtobufWire.Writer()
        appendLabels(group.labels, escaping: escaping, to: &metric)
        var summary = ProtobufWire.Writer()
        var timestamped: Sample?
        for sample in group.samples {
            if sample.name == family.name + "_count" {
                summary.unsigned(1, count(sample.value))
                timestamped = sample
            } else if sample.name == family.name + "_sum" {
                summary.double(2, sample.value)
            }
        }
        for sample in group.samples {
            guard let quantile = sample.labels.first(where: { $0.name == "quantile" }),
                let bound = LineScanner.parseNumber(quantile.value)
            else { continue }
            var entry = ProtobufWire.Writer()
            entry.double(1, bound)
            entry.double(2, sample.value)
            summary.message(3, entry.bytes)
        }
        if let created = group.samples.first(where: { $0.name == family.name + "_created" }) {
            summary.message(4, timestampMessage(seconds: created.value))
        }
        metric.message(4, summary.bytes)
        if let timestamped { appendTimestamp(timestamped, to: &metric) }
        return metric.bytes
    }

    private static func histogram(_ group: SeriesGroup, family: MetricFamily, escaping: NameEscapingScheme)
        -> [UInt8]
    {
        var metric = ProtobufWire.Writer()
        appendLabels(group.labels, escaping: escaping, to: &metric)
        var histogram = ProtobufWire.Writer()
        let isGauge = family.type == .gaugeHistogram
        let countName = family.name + (isGauge ? "_gcount" : "_count")
        let sumName = family.name + (isGauge ? "_gsum" : "_sum")
        let native = group.samples.first { $0.nativeHistogram != nil }?.nativeHistogram
        var count = native?.count
        var sum = native?.sum
        var buckets: [(bound: Double, count: Double, exemplar: Exemplar?)] = []
        var timestamped: Sample?
        for sample in group.samples {
            if sample.name == countName {
                count = sample.value
                timestamped = sample
            } else if sample.name == sumName {
                sum = sample.value
            } else if sample.name == family.name + "_bucket",
                let le = sample.labels.first(where: { $0.name == "le" }),
                let bound = LineScanner.parseNumber(le.value)
            {
                buckets.append((bound, sample.value, sample.exemplar))
            }
        }
        let counts = [count ?? 0] + buckets.map(\.count) + [native?.zeroCount ?? 0]
        let integral =
            native?.hasFloatCounts != true
            && counts.allSatisfy { $0 >= 0 && $0 < 0x1p64 && $0.rounded(.towardZero) == $0 }
        if integral {
            histogram.unsigned(1, UInt64(count ?? 0))
        } else {
            histogram.double(4, count ?? 0)
        }
        histogram.double(2, sum ?? 0)
        for bucket in buckets {
            var entry = ProtobufWire.Writer()
            if integral {
                entry.unsigned(1, UInt64(bucket.count))
            } else {
                entry.double(4, bucket.count)
            }
            entry.double(2, bucket.bound)
            if let exemplar = bucket.exemplar { entry.message(3, exemplarMessage(exemplar)) }
            histogram.message(3, entry.bytes)
        }
        if let native {
            histogram.zigZag(5, Int64(native.schema))
            histogram.double(6, native.zeroThreshold)
            if integral {
                histogram.unsigned(7, UInt64(native.zeroCount))
            } else {
                histogram.double(8, native.zeroCount)
            }
            for span in native.negativeSpans { histogram.message(9, spanMessage(span)) }
            if native.hasFloatCounts {
                histogram.packedDoubles(11, native.negativeCounts)
            } else {
                histogram.packedZigZag(10, native.negativeDeltas)
            }
            // A native histogram without buckets still needs a span, or it reads as a classic one.
            let positive =
                native.positiveSpans.isEmpty && native.negativeSpans.isEmpty && native.zeroThreshold == 0
                ? [NativeHistogram.BucketSpan(offset: 0, length: 0)] : native.positiveSpans
            for span in positive { histogram.message(12, spanMessage(span)) }
            if native.hasFloatCounts {
                histogram.packedDoubles(14, native.positiveCounts)
            } else {
                histogram.packedZigZag(13, native.positiveDeltas)
            }
        }
        if let created = group.samples.first(where: { $0.name == family.name + "_created" }) {
            histogram.message(15, timestampMessage(seconds: created.value))
        }
        for exemplar in native?.exemplars ?? [] { histogram.message(16, exemplarMessage(exemplar)) }
        metric.message(7, histogram.bytes)
        if let timestamped { appendTimestamp(timestamped, to: &metric) }
        return metric.bytes
    }

    private static func count(_ value: Double) -> UInt64 {
        guard value.isFinite, value > 0 else { return 0 }
        return value >= 0x1p64 ? .max : UInt64(value)
    }

    private static func spanMessage(_ span: NativeHistogram.BucketSpan) -> [UInt8] {
        var message = ProtobufWire.Writer()
        message.zigZag(1, Int64(span.offset))
        message.unsigned(2, UInt64(span.length))
        return message.bytes
    }

    private static func appendLabels(
        _ labels: [Label], escaping: NameEscapingScheme, to metric: inout ProtobufWire.Writer
    ) {
        for label in labels.sorted(by: { ByteIdentity.precedes($0.name, $1.name) }) {
            var pair = ProtobufWire.Writer()
            pair.string(1, escaping.escapeLabelName(label.name))
            pair.string(2, label.value)
            metric.message(1, pair.bytes)
        }
    }

    private static func appendTimestamp(_ sample: Sample, to metric: inout ProtobufWire.Writer) {
        guard let timestamp = sample.timestamp else { return }
        let milliseconds = timestamp.seconds * 1000 + Int128(timestamp.nanoseconds / 1_000_000)
        metric.signed(6, Int64(clamping: milliseconds))
    }

    private static func exemplarMessage(_ exemplar: Exemplar) -> [UInt8] {
        var message = ProtobufWire.Writer()
        for label in exemplar.labels {
            var pair = ProtobufWire.Writer()
            pair.string(1, label.name)
            pair.string(2, label.value)
            message.message(1, pair.bytes)
        }
        message.double(2, exemplar.value)
        if let timestamp = exemplar.timestamp {
            message.message(3, timestampMessage(timestamp))
        }
        return message.bytes
    }

    private static func timestampMessage(seconds: Double) -> [UInt8] {
        timestampMessage(Timestamp(unixSeconds: seconds))
    }

    /// A `google.protobuf.Timestamp`: seconds (int64) and nanoseconds (int32).
    private static func timestampMessage(_ timestamp: Timestamp) -> [UInt8] {
        var message = ProtobufWire.Writer()
        message.signed(1, Int64(clamping: timestamp.seconds))
        if timestamp.nanoseconds != 0 { message.signed(2, Int64(timestamp.nanoseconds)) }
        return message.bytes
    }
}
