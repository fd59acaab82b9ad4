/// Writes OpenMetrics 2.0.0 (release candidate 0, March 2026) from metric families.
///
/// Each family opens with TYPE, UNIT and HELP lines named as its samples are (`jobs_total`, not
/// `jobs`); a counter's `_created` becomes the `st@` start timestamp of its line; a histogram,
/// gauge histogram or summary series is one line with a composite value (`{count:3,sum:1.5,
/// bucket:[0.1:1,+Inf:3]}`), native buckets first (absolute counts), classic buckets after;
/// exemplars carry their timestamps, several per line where the model has several (a histogram's).
/// The end is `# EOF`.
///
/// A family that has no 2.0 form (a histogram without a sum, a sample whose name does not fit its
/// type: see ``OpenMetrics2Line/lines(of:)``), or whose 2.0 name an earlier family of the body has,
/// is left out of the body and reported through ``PrometheusDiagnostics``, because a 2.0 ingestor
/// rejects an invalid body whole.
package enum OpenMetrics2Writer {
    static func write(_ family: MetricFamily, escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer) {
        let lines: [OpenMetrics2Line]
        do {
            lines = try OpenMetrics2Line.lines(of: family)
        } catch {
            PrometheusDiagnostics.report(
                .exposition, "left the family \(family.name) out of an OpenMetrics 2.0 body: \(error.reason)")
            return
        }
        let name = OpenMetrics2Line.familyName(of: family)
        // Two model families can take one 2.0 name (a counter `x`, written `x_total`, and a gauge
        // `x_total`); a body with the name twice is invalid whole, so the later one is left out.
        guard buffer.claimFamilyName(escaping.escapeMetricName(name)) else {
            PrometheusDiagnostics.report(
                .exposition,
                "left the family \(family.name) out of an OpenMetrics 2.0 body: another family is named \(name) there")
            return
        }
        writeHeader(
            name: name, type: family.type, help: family.help, unit: family.unit, escaping: escaping, to: &buffer)
        let gauge = family.type == .gaugeHistogram
        for line in lines {
            buffer.appendSeries(name: name, labels: line.labels, escaping: escaping)
            buffer.append(UInt8(ascii: " "))
            switch line.value {
            case .number(let value): buffer.appendValue(value)
            case .histogram(let histogram): appendHistogram(histogram, gauge: gauge, to: &buffer)
            case .summary(let summary): appendSummary(summary, to: &buffer)
            }
            if let timestamp = line.timestamp {
                buffer.append(UInt8(ascii: " "))
                buffer.append(timestamp.description)
            }
            if let start = line.start {
                buffer.append(" st@")
                buffer.append(start.description)
            }
            for exemplar in line.exemplars {
                appendExemplar(exemplar, to: &buffer)
            }
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    /// Writes TYPE, UNIT (when there is one) and HELP (when there is one), in the order the
    /// specification recommends.
    private static func writeHeader(
        name: String, type: MetricType, help: String, unit: String, escaping: NameEscapingScheme,
        to buffer: inout ExpositionBuffer
    ) {
        let escapedName = escaping.escapeMetricName(name)
        OpenMetricsWriter.appendMetadata("TYPE", name: escapedName, text: type.rawValue, to: &buffer)
        if !unit.isEmpty {
            OpenMetricsWriter.appendMetadata("UNIT", name: escapedName, text: unit, to: &buffer)
        }
        if !help.isEmpty {
            OpenMetricsWriter.appendMetadata("HELP", name: escapedName, text: help, to: &buffer)
        }
    }

    private static func appendHistogram(
        _ histogram: OpenMetrics2Line.HistogramValue, gauge: Bool, to buffer: inout ExpositionBuffer
    ) {
        buffer.append(gauge ? "{gcount:" : "{count:")
        appendCount(histogram.count, to: &buffer)
        buffer.append(gauge ? ",gsum:" : ",sum:")
        buffer.appendValue(histogram.sum)
        if let native = histogram.native {
            appendNativeFields(native, to: &buffer)
        }
        if !histogram.buckets.isEmpty {
            buffer.append(",bucket:[")
            for (index, bucket) in histogram.buckets.enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: ",")) }
                buffer.append(bucket.threshold)
                buffer.append(UInt8(ascii: ":"))
                appendCount(bucket.count, to: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        }
        buffer.append(UInt8(ascii: "}"))
    }

    /// `,schema:..,zero_threshold:..,zero_count:..` and the negative, then positive, spans and
    /// absolute bucket counts (the model keeps deltas, as the protobuf format does).
    private static func appendNativeFields(_ native: NativeHistogram, to buffer: inout ExpositionBuffer) {
        buffer.append(",schema:\(native.schema),zero_threshold:")
        buffer.appendValue(native.zeroThreshold)
        buffer.append(",zero_count:")
        appendCount(native.zeroCount, to: &buffer)
        for (sign, spans, counts) in [
            ("negative", native.negativeSpans, native.negativeBucketCounts),
            ("positive", native.positiveSpans, native.positiveBucketCounts),
        ] where !spans.isEmpty {
            buffer.append(",\(sign)_spans:[")
            buffer.append(spans.map { "\($0.offset):\($0.length)" }.joined(separator: ","))
            buffer.append("],\(sign)_buckets:[")
            for (index, count) in counts.enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: ",")) }
                appendCount(count, to: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        }
    }

    private static func appendSummary(_ summary: OpenMetrics2Line.SummaryValue, to buffer: inout ExpositionBuffer) {
        buffer.append("{count:")
        appendCount(summary.count, to: &buffer)
        buffer.append(",sum:")
        buffer.appendValue(summary.sum)
        buffer.append(",quantile:[")
        for (index, quantile) in summary.quantiles.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.append(quantile.quantile)
            buffer.append(UInt8(ascii: ":"))
            buffer.appendValue(quantile.value)
        }
        buffer.append("]}")
    }

    /// Appends a count (of observations, or in a bucket) as an integer when it is one, as the
    /// specification wants counts written; any other value as the value writers write numbers.
    private static func appendCount(_ count: Double, to buffer: inout ExpositionBuffer) {
        if count == count.rounded(), abs(count) < 0x1p53 {
            buffer.append(String(Int64(count)))
        } else {
            buffer.appendValue(count)
        }
    }

    /// Appends ` # {labels} value timestamp` (2.0 exemplars always have a timestamp).
    private static func appendExemplar(_ exemplar: Exemplar, to buffer: inout ExpositionBuffer) {
        guard let timestamp = exemplar.timestamp else { return }
        buffer.append(" # {")
        buffer.appendLabels(exemplar.labels, escaping: .allowUTF8)
        buffer.append("} ")
        buffer.appendValue(exemplar.value)
        buffer.append(UInt8(ascii: " "))
        buffer.append(timestamp.description)
    }
}
