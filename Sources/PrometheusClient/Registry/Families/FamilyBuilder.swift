/// The part every metric-family builder shares: a validated family and its label names.
struct FamilyBuilder: Sendable {
    var family: MetricFamily
    let labelNames: [String]

    /// Validates the name (with the unit and counter rules) and the label names.
    ///
    /// - Throws: `MetricError` for an invalid name, a unit on a type without units, invalid label names.
    init(name: String, help: String, type: MetricType, unit: String, labelNames: [String]) throws(MetricError) {
        let fullName = try MetricNaming.fullName(name: name, unit: unit, type: type)
        try MetricNaming.validateLabelNames(labelNames, metric: fullName)
        family = MetricFamily(name: fullName, help: help, type: type, unit: unit)
        self.labelNames = labelNames
    }

    /// Pairs label values with the label names.
    ///
    /// - Throws: `MetricError.labelCountMismatch` when the counts differ.
    func labels(_ values: [String]) throws(MetricError) -> [Label] {
        guard values.count == labelNames.count else {
            throw .labelCountMismatch(metric: family.name, expected: labelNames, got: values.count)
        }
        return zip(labelNames, values).map { Label($0, $1) }
    }

    mutating func append(_ suffix: String, _ labels: [Label], _ value: Double, _ timestamp: Timestamp?) {
        family.samples.append(Sample(name: family.name + suffix, labels: labels, value: value, timestamp: timestamp))
    }

    /// Appends cumulative buckets and returns the last (the `+Inf`) count.
    ///
    /// - Throws: `MetricError.invalidFamily` when there are no buckets, the last is not `+Inf`, or the
    ///   counts decrease.
    mutating func appendBuckets(
        _ buckets: [(upperBound: Double, cumulativeCount: Double, exemplar: Exemplar?)],
        labels: [Label],
        timestamp: Timestamp?
    ) throws(MetricError) -> Double {
        guard let last = buckets.last, last.upperBound == .infinity else {
            throw .invalidFamily(metric: family.name, reason: "buckets must end with +Inf")
        }
        var previous = -Double.infinity
        var previousCount = 0.0
        for bucket in buckets {
            guard bucket.upperBound > previous else {
                throw .invalidFamily(metric: family.name, reason: "bucket bounds must be strictly increasing")
            }
            guard bucket.cumulativeCount >= previousCount else {
                throw .invalidFamily(metric: family.name, reason: "cumulative bucket counts must not decrease")
            }
            previous = bucket.upperBound
            previousCount = bucket.cumulativeCount
            family.samples.append(
                Sample(
                    name: family.name + "_bucket",
                    labels: labels + [Label("le", GoFloatFormat.string(bucket.upperBound))],
                    value: bucket.cumulativeCount, timestamp: timestamp, exemplar: bucket.exemplar))
        }
        return last.cumulativeCount
    }
}
