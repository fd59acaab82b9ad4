/// How a ``Histogram`` records native (sparse, exponential) buckets, with client_golang's knobs:
/// each observation goes into the bucket of its magnitude at the chosen resolution, with no bucket
/// bounds to choose. Exposed in the protobuf format (which Prometheus ingests) and OpenMetrics 2.0.
///
/// ```swift
/// let latency = try Histogram(
///     name: "request_duration_seconds", help: "Latency.",
///     native: NativeHistogramOptions(bucketFactor: 1.1, maximumBucketCount: 160))
/// latency.observe(0.042)
/// ```
public struct NativeHistogramOptions: Sendable, Hashable {
    /// The largest ratio between a bucket's upper and lower bound (client_golang's
    /// `NativeHistogramBucketFactor`, above 1): it picks the schema, the finest whose growth factor
    /// `2^(2^-schema)` does not exceed it (1.1 gives schema 3, 8 buckets per power of two).
    public var bucketFactor: Double
    /// Observations whose magnitude is at most this go into the zero bucket (default 2^-128, as in
    /// client_golang).
    public var zeroThreshold: Double
    /// The most buckets a series keeps (0: no limit beyond 2,048). Beyond it the resolution is
    /// halved (schema - 1), merging neighbouring buckets, as often as needed; counts are kept.
    public var maximumBucketCount: Int
    /// Whether the histogram also records its classic buckets (`buckets:`), so that one histogram
    /// is exposed both ways.
    public var keepsClassicBuckets: Bool
    /// Over the bucket limit, the whole series (classic part, count, sum, `_created` included) is
    /// reset instead of losing resolution, provided at least this many seconds passed since it was
    /// created or last reset (client_golang's `NativeHistogramMinResetDuration`; 0: never reset).
    /// The observation that found the limit exceeded is dropped with the rest, in both parts.
    public var minimumResetDuration: Double
    /// Over the bucket limit (and when no reset is due), the zero bucket first widens to swallow the
    /// lowest buckets, up to this threshold, before the resolution is halved (client_golang's
    /// `NativeHistogramMaxZeroThreshold`; 0: never widen).
    public var maximumZeroThreshold: Double

    /// The schema `bucketFactor` chooses.
    public var schema: Int32 { NativeBucketMath.schema(forBucketFactor: bucketFactor) }

    /// Creates options.
    public init(
        bucketFactor: Double = 1.1, zeroThreshold: Double = 0x1p-128, maximumBucketCount: Int = 160,
        keepsClassicBuckets: Bool = true, minimumResetDuration: Double = 0, maximumZeroThreshold: Double = 0
    ) {
        self.bucketFactor = bucketFactor
        self.zeroThreshold = zeroThreshold
        self.maximumBucketCount = maximumBucketCount
        self.keepsClassicBuckets = keepsClassicBuckets
        self.minimumResetDuration = minimumResetDuration
        self.maximumZeroThreshold = maximumZeroThreshold
    }
}
