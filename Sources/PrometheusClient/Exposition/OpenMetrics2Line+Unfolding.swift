extension OpenMetrics2Line {
    /// The model family of an OpenMetrics 2.0 family called `name`: its model name (see
    /// ``modelName(of:type:)``) and each line unfolded into the samples this package's collectors
    /// produce for such a series (see ``appendSamples(modelName:sampleName:type:to:)``).
    package static func family(
        name: String, type: MetricType, help: String, unit: String, lines: [OpenMetrics2Line]
    ) -> MetricFamily {
        let model = modelName(of: name, type: type)
        var samples: [Sample] = []
        samples.reserveCapacity(lines.count)
        for line in lines {
            line.appendSamples(modelName: model, sampleName: name, type: type, to: &samples)
        }
        return MetricFamily(name: model, help: help, type: type, unit: unit, samples: samples)
    }

    /// Appends this line's samples: a number line is one sample (a counter's start its `_created`);
    /// a histogram line is its native sample, its buckets (`le` last among the labels), `_count` and
    /// `_sum` when it has classic buckets (`_gcount`, `_gsum` for a gauge histogram), and `_created`;
    /// a summary line is its quantiles, `_count`, `_sum` and `_created`.
    ///
    /// The model keeps one exemplar per sample: a counter keeps its latest exemplar; a histogram
    /// gives each exemplar to the first bucket whose bound is not below its value (the latest when
    /// several fall in one bucket), and its native sample all of them, by time.
    package func appendSamples(
        modelName model: String, sampleName: String, type: MetricType, to samples: inout [Sample]
    ) {
        switch value {
        case .number(let number):
            let exemplar = type == .counter ? latest(exemplars) : nil
            samples.append(
                Sample(name: sampleName, labels: labels, value: number, timestamp: timestamp, exemplar: exemplar))
        case .histogram(let histogram):
            appendHistogramSamples(histogram, model: model, isGauge: type == .gaugeHistogram, to: &samples)
        case .summary(let summary):
            for quantile in summary.quantiles {
                samples.append(
                    Sample(
                        name: model, labels: labels + [Label("quantile", quantile.quantile)], value: quantile.value,
                        timestamp: timestamp))
            }
            samples.append(Sample(name: model + "_count", labels: labels, value: summary.count, timestamp: timestamp))
            samples.append(Sample(name: model + "_sum", labels: labels, value: summary.sum, timestamp: timestamp))
        }
        if let start {
            samples.append(Sample(name: model + "_created", labels: labels, value: start, timestamp: timestamp))
        }
    }

    private func appendHistogramSamples(
        _ histogram: HistogramValue, model: String, isGauge: Bool, to samples: inout [Sample]
    ) {
        if var native = histogram.native {
            native.count = histogram.count
            native.sum = histogram.sum
            native.exemplars = exemplars.enumerated()
                .sorted {
                    ($0.element.timestamp ?? Timestamp(seconds: 0, nanoseconds: 0), $0.offset)
                        < ($1.element.timestamp ?? Timestamp(seconds: 0, nanoseconds: 0), $1.offset)
                }
                .map(\.element)
            samples.append(Sample(name: model, labels: labels, value: 0, timestamp: timestamp, nativeHistogram: native))
        }
        guard !histogram.buckets.isEmpty else { return }
        let bounds = histogram.buckets.map { OpenMetrics2ValueScanner.number($0.threshold.utf8) ?? .infinity }
        var bucketExemplars = [Exemplar?](repeating: nil, count: bounds.count)
        for exemplar in exemplars {
            let index = exemplar.value.isNaN ? bounds.count - 1 : bounds.firstIndex { $0 >= exemplar.value }
            guard let index else { continue }
            if let kept = bucketExemplars[index], let keptTime = kept.timestamp, let time = exemplar.timestamp,
                time < keptTime
            {
                continue
            }
            bucketExemplars[index] = exemplar
        }
        for (index, bucket) in histogram.buckets.enumerated() {
            samples.append(
                Sample(
                    name: model + "_bucket", labels: labels + [Label("le", bucket.threshold)], value: bucket.count,
                    timestamp: timestamp, exemplar: bucketExemplars[index]))
        }
        samples.append(
            Sample(
                name: model + (isGauge ? "_gcount" : "_count"), labels: labels, value: histogram.count,
                timestamp: timestamp))
        samples.append(
            Sample(
                name: model + (isGauge ? "_gsum" : "_sum"), labels: labels, value: histogram.sum, timestamp: timestamp))
    }

    /// The exemplar with the latest timestamp (the last of equals).
    private func latest(_ exemplars: [Exemplar]) -> Exemplar? {
        exemplars.reduce(nil) { kept, next in
            guard let kept, let keptTime = kept.timestamp, let time = next.timestamp else { return next }
            return time < keptTime ? kept : next
        }
    }
}
