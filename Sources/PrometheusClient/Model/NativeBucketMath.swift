import Foundation

/// The arithmetic of native (exponential) histogram buckets, as Prometheus defines it: at schema
/// `s`, bucket `i` holds the values `v` with `2^((i-1)·2^-s) < |v| <= 2^(i·2^-s)`, so each power of
/// two is divided into `2^s` buckets (schema -4...8). Pure; the recorder, the exposition and the
/// tests use it alike.
package enum NativeBucketMath {
    /// The smallest and largest schema Prometheus accepts.
    package static let schemaRange: ClosedRange<Int32> = -4...8

    /// The highest-resolution schema whose bucket growth factor `2^(2^-s)` does not exceed
    /// `factor` (client_golang's `NativeHistogramBucketFactor`): 1.1 gives schema 3, 2 schema 0,
    /// 4 schema -1. Factors at or below the finest growth give schema 8.
    package static func schema(forBucketFactor factor: Double) -> Int32 {
        guard factor > 1 else { return schemaRange.upperBound }
        let schema = -floor(log2(log2(factor)))
        return Int32(Swift.min(Double(schemaRange.upperBound), Swift.max(Double(schemaRange.lowerBound), schema)))
    }

    /// The upper bound of bucket `index` at `schema`.
    package static func upperBound(index: Int, schema: Int32) -> Double {
        exp2(Double(index) * exp2(-Double(schema)))
    }

    /// For schemas 1...8, the bounds `2^(j·2^-schema - 1)` (j < 2^schema) that divide the
    /// significand range [0.5, 1) of `frexp` into the schema's buckets.
    private static let significandBounds: [[Double]] = (0...8).map { schema in
        schema == 0 ? [] : (0..<(1 << schema)).map { exp2(Double($0) * exp2(-Double(schema)) - 1) }
    }

    /// The bucket of a positive, finite `magnitude` at `schema`, found as client_golang finds it:
    /// from the binary exponent and, above schema 0, a binary search of the significand among the
    /// schema's bounds. Exact at every bound, and no transcendental function per observation.
    @inline(__always)
    package static func index(of magnitude: Double, schema: Int32) -> Int {
        // frexp: magnitude = fraction · 2^exponent with fraction in [0.5, 1).
        let fraction = magnitude.significand * 0.5
        let exponent = Int(magnitude.exponent) + 1
        if schema > 0 {
            return significandBounds[Int(schema)].withUnsafeBufferPointer { bounds in
                var low = 0
                var high = bounds.count
                while low < high {
                    let middle = (low + high) >> 1
                    if bounds[middle] < fraction { low = middle + 1 } else { high = middle }
                }
                return low + (exponent - 1) * bounds.count
            }
        }
        // An exact power of two is the top of the bucket below.
        var key = fraction == 0.5 ? exponent - 1 : exponent
        if schema < 0 {
            let shift = Int(-schema)
            key = (key + (1 << shift) - 1) >> shift
        }
        return key
    }

    /// The bucket at `schema - steps` that bucket `index` at `schema` falls into: `ceil(index / 2^steps)`.
    package static func reduce(index: Int, by steps: Int) -> Int {
        guard steps > 0 else { return index }
        let divisor = 1 << steps
        return index >= 0 ? (index + divisor - 1) / divisor : -((-index) / divisor)
    }

    /// Buckets `(index, count)` sorted by index, as spans and delta-encoded counts; empty buckets
    /// inside a span are kept when that is cheaper than a new span (gaps of up to two buckets).
    package static func spansAndDeltas(_ buckets: [(index: Int, count: Int64)]) -> (
        spans: [NativeHistogram.BucketSpan], deltas: [Int64]
    ) {
        var spans: [NativeHistogram.BucketSpan] = []
        var deltas: [Int64] = []
        var previousIndex: Int?
        var previousCount: Int64 = 0
        for bucket in buckets where bucket.count != 0 {
            if let last = previousIndex, bucket.index - last <= 3 {
                // Continue the span, with empty buckets for the gap.
                for _ in 0..<(bucket.index - last - 1) {
                    deltas.append(-previousCount)
                    previousCount = 0
                }
                spans[spans.count - 1].length += UInt32(bucket.index - last)
            } else {
                let offset = previousIndex.map { bucket.index - $0 - 1 } ?? bucket.index
                spans.append(.init(offset: Int32(clamping: offset), length: 1))
            }
            deltas.append(bucket.count - previousCount)
            previousCount = bucket.count
            previousIndex = bucket.index
        }
        return (spans, deltas)
    }

    /// The buckets `(index, count)` that spans and deltas describe, in index order.
    package static func buckets(spans: [NativeHistogram.BucketSpan], deltas: [Int64]) -> [(index: Int, count: Int64)] {
        var result: [(index: Int, count: Int64)] = []
        var index = 0
        var count: Int64 = 0
        var delta = deltas.makeIterator()
        for span in spans {
            index += Int(span.offset)
            for _ in 0..<span.length {
                count += delta.next() ?? 0
                result.append((index, count))
                index += 1
            }
        }
        return result
    }
}
