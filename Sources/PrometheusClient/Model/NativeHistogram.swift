/// A native (sparse, exponential) histogram value, as the OpenMetrics 2.0 text form writes it.
///
/// Experimental, as in the Python client: only the OpenMetrics writer at version 2.0.0 or later
/// prints it; the other writers skip such samples.
public struct NativeHistogram: Sendable, Hashable {
    /// One run of consecutive buckets: an offset from the previous span's end, and a length.
    public struct BucketSpan: Sendable, Hashable {
        /// Gap (in buckets) from the end of the previous span.
        public var offset: Int32
        /// Number of consecutive buckets in this span.
        public var length: UInt32

        /// Creates a span.
        public init(offset: Int32, length: UInt32) {
            self.offset = offset
            self.length = length
        }
    }

    /// Total number of observations.
    public var count: Double
    /// Sum of observations.
    public var sum: Double
    /// Resolution schema (bucket growth factor 2^(2^-schema)).
    public var schema: Int32
    /// Width of the zero bucket.
    public var zeroThreshold: Double
    /// Observations in the zero bucket.
    public var zeroCount: Double
    /// Spans of positive buckets.
    public var positiveSpans: [BucketSpan]
    /// Spans of negative buckets.
    public var negativeSpans: [BucketSpan]
    /// Delta-encoded counts of positive buckets.
    public var positiveDeltas: [Int64]
    /// Delta-encoded counts of negative buckets.
    public var negativeDeltas: [Int64]
    /// Absolute counts of positive buckets that are not whole numbers (a float histogram, such as
    /// the rate of a histogram exposed as a gauge histogram); when not empty they stand for the
    /// positive buckets and ``positiveDeltas`` is empty.
    public var positiveCounts: [Double] = []
    /// Absolute counts of negative buckets of a float histogram (see ``positiveCounts``).
    public var negativeCounts: [Double] = []
    /// Exemplars attached to the histogram.
    public var exemplars: [Exemplar]

    /// Whether the bucket counts are floats (``positiveCounts`` and ``negativeCounts``) rather than
    /// deltas of whole counts.
    public var hasFloatCounts: Bool { !positiveCounts.isEmpty || !negativeCounts.isEmpty }

    /// The absolute count of each positive bucket, in index order, from whichever form it is kept in.
    public var positiveBucketCounts: [Double] {
        hasFloatCounts ? positiveCounts : Self.absolute(positiveDeltas)
    }

    /// The absolute count of each negative bucket, in index order.
    public var negativeBucketCounts: [Double] {
        hasFloatCounts ? negativeCounts : Self.absolute(negativeDeltas)
    }

    private static func absolute(_ deltas: [Int64]) -> [Double] {
        var running: Int64 = 0
        return deltas.map { delta in
            running &+= delta
            return Double(running)
        }
    }

    /// Creates a native histogram value.
    public init(
        count: Double,
        sum: Double,
        schema: Int32,
        zeroThreshold: Double,
        zeroCount: Double,
        positiveSpans: [BucketSpan] = [],
        negativeSpans: [BucketSpan] = [],
        positiveDeltas: [Int64] = [],
        negativeDeltas: [Int64] = [],
        exemplars: [Exemplar] = []
    ) {
        self.count = count
        self.sum = sum
        self.schema = schema
        self.zeroThreshold = zeroThreshold
        self.zeroCount = zeroCount
        self.positiveSpans = positiveSpans
        self.negativeSpans = negativeSpans
        self.positiveDeltas = positiveDeltas
        self.negativeDeltas = negativeDeltas
        self.exemplars = exemplars
    }
}
