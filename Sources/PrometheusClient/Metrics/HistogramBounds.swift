/// Validated histogram bucket upper bounds, ending with `+Inf`, and the search for an observation's
/// bucket.
// Unchecked: the buffer is written once in init and only read afterwards.
final class HistogramBounds: @unchecked Sendable {
    /// The Python client's default bounds, in seconds.
    static let pythonDefaults: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, .infinity,
    ]

    /// The bounds, strictly increasing, the last being `+Inf`.
    let upperBounds: [Double]
    private let finiteBounds: UnsafeMutableBufferPointer<Double>

    /// Checks and completes bucket bounds.
    ///
    /// - Throws: `MetricError.invalidBuckets` for NaN, unsorted or duplicate bounds, or fewer than two
    ///   buckets once `+Inf` is appended.
    init(validating buckets: [Double], metric: String) throws(MetricError) {
        var bounds = buckets
        if bounds.contains(where: \.isNaN) {
            throw .invalidBuckets(metric: metric, reason: "NaN is not a valid bucket bound")
        }
        for index in bounds.indices.dropFirst() where bounds[index] <= bounds[index - 1] {
            throw .invalidBuckets(
                metric: metric,
                reason: "bounds must be strictly increasing, but \(bounds[index]) follows \(bounds[index - 1])")
        }
        if bounds.last != .infinity {
            bounds.append(.infinity)
        }
        guard bounds.count >= 2 else {
            throw .invalidBuckets(metric: metric, reason: "at least one finite bound is needed besides +Inf")
        }
        upperBounds = bounds
        // A plain buffer, not an array, so that the search in observe() does no retain or bounds check.
        finiteBounds = .allocate(capacity: bounds.count - 1)
        _ = finiteBounds.initialize(from: bounds.dropLast())
    }

    /// The bounds of a histogram with native buckets only: `+Inf` alone, which counts.
    init(nativeOnly metric: String) throws(MetricError) {
        upperBounds = [.infinity]
        finiteBounds = .allocate(capacity: 0)
    }

    deinit {
        finiteBounds.deallocate()
    }

    /// Number of buckets, `+Inf` included.
    var count: Int { upperBounds.count }

    /// The index of the first bucket whose bound is at least `value`, or nil for NaN.
    @inline(__always)
    func bucketIndex(for value: Double) -> Int? {
        if value.isNaN { return nil }
        let bounds = finiteBounds
        if bounds.count <= 16 {
            var index = 0
            while index < bounds.count, value > bounds[index] { index += 1 }
            return index
        }
        var low = 0
        var high = bounds.count
        while low < high {
            let middle = (low + high) >> 1
            if value > bounds[middle] { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
