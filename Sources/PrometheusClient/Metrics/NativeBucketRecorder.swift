import CPrometheusSupport
import PrometheusSystem
import Synchronization

/// The native buckets of one histogram series, updated without a lock.
///
/// The buckets live in a fixed open-addressing table of atomic keys and counts (a ``Generation``).
/// An observation loads the current generation, registers itself as in flight, finds or claims its
/// bucket's slot with a compare-and-swap, and adds with one atomic add: no lock and no allocation
/// once the bucket exists. When the series holds more buckets than ``NativeHistogramOptions/maximumBucketCount``
/// (or the table is full), one thread, under a lock, halves the resolution: it publishes a new
/// generation at a lower schema, waits until no observation is in flight on the old one, and folds
/// the old counts into the new buckets, so no observation is lost.
final class NativeBucketRecorder: @unchecked Sendable {
    let options: NativeHistogramOptions
    /// The address of the current generation (retained in `generations`).
    private let current = Atomic<UInt>(0)
    /// Every generation made, kept until the recorder goes: an observation may still hold an old one.
    private let generations = Mutex<[Generation]>([])

    /// Resets the rest of the series (classic buckets, sum, created time) when the recorder resets;
    /// set once by the owning child, before any observation.
    nonisolated(unsafe) var onReset: (() -> Void)?
    /// When the series was created or last reset (monotonic seconds); guarded by `generations`.
    nonisolated(unsafe) private var lastReset = SystemClock.monotonic()

    init(options: NativeHistogramOptions) {
        self.options = options
        let first = Generation(
            schema: options.schema, capacity: Self.capacity(for: options), zeroThreshold: options.zeroThreshold)
        generations.withLock { $0.append(first) }
        current.store(UInt(bitPattern: Unmanaged.passUnretained(first).toOpaque()), ordering: .sequentiallyConsistent)
    }

    private static func capacity(for options: NativeHistogramOptions) -> Int {
        let wanted = options.maximumBucketCount > 0 ? options.maximumBucketCount * 2 + 16 : 4096
        var capacity = 64
        while capacity < wanted { capacity <<= 1 }
        return capacity
    }

    @inline(__always)
    private var currentGeneration: Generation {
        Unmanaged<Generation>.fromOpaque(UnsafeRawPointer(bitPattern: current.load(ordering: .sequentiallyConsistent))!)
            .takeUnretainedValue()
    }

    /// Records `value` (not NaN). Lock-free; the slow path runs only when the series outgrows its
    /// bucket limit.
    @inline(__always)
    func observe(_ value: Double) {
        while true {
            let generation = currentGeneration
            generation.enter()
            guard current.load(ordering: .sequentiallyConsistent) == generation.address else {
                generation.leave()
                continue
            }
            let outcome = generation.record(value)
            generation.leave()
            switch outcome {
            case .recorded: return
            case .recordedOverLimit(let buckets):
                if options.maximumBucketCount > 0 && buckets > options.maximumBucketCount {
                    reduceResolution(from: generation)
                }
                return
            case .tableFull:
                reduceResolution(from: generation)
            }
        }
    }

    /// Brings the series back within its bucket limit, as client_golang does: a reset when one is
    /// due, else a wider zero bucket while it may widen, else half the resolution, as often as
    /// needed. The new generation is published (unless another thread already replaced `old`), then
    /// `old`'s observations in flight are waited for and its counts folded in (not after a reset).
    @inline(never)
    private func reduceResolution(from old: Generation) {
        var resets = false
        generations.withLock { generations in
            guard current.load(ordering: .sequentiallyConsistent) == old.address else { return }
            let now = SystemClock.monotonic()
            if options.minimumResetDuration > 0 && now - lastReset >= options.minimumResetDuration {
                let fresh = Generation(
                    schema: options.schema, capacity: old.capacity, zeroThreshold: options.zeroThreshold)
                generations.append(fresh)
                current.store(fresh.address, ordering: .sequentiallyConsistent)
                old.waitUntilIdle()
                lastReset = now
                resets = true
                return
            }
            let buckets = old.buckets()
            var schema = old.schema
            var threshold = old.zeroThreshold
            var next: Generation
            repeat {
                if threshold < options.maximumZeroThreshold,
                    let widened = Generation.widenedThreshold(
                        buckets, schema: old.schema, from: threshold, limit: options.maximumZeroThreshold)
                {
                    threshold = widened
                } else {
                    // Halving the resolution at least halves the number of buckets.
                    schema = Swift.max(NativeBucketMath.schemaRange.lowerBound, schema - 1)
                }
                next = Generation(schema: schema, capacity: old.capacity, zeroThreshold: threshold)
                let fits = next.canHold(buckets, from: old.schema, limit: options.maximumBucketCount)
                if fits || schema == NativeBucketMath.schemaRange.lowerBound { break }
            } while true
            generations.append(next)
            current.store(next.address, ordering: .sequentiallyConsistent)
            old.waitUntilIdle()
            next.absorb(old)
        }
        if resets { onReset?() }
    }

    /// The current buckets as a ``NativeHistogram`` (count = zero bucket + every bucket).
    func snapshot(sum: Double) -> NativeHistogram {
        let generation = generations.withLock { _ in currentGeneration }
        let (positive, negative) = generation.bucketsBySide()
        let positiveEncoded = NativeBucketMath.spansAndDeltas(positive)
        let negativeEncoded = NativeBucketMath.spansAndDeltas(negative)
        let zero = generation.zeroCount
        let total = zero + positive.reduce(0) { $0 + $1.count } + negative.reduce(0) { $0 + $1.count }
        return NativeHistogram(
            count: Double(total), sum: sum, schema: generation.schema, zeroThreshold: generation.zeroThreshold,
            zeroCount: Double(zero), positiveSpans: positiveEncoded.spans, negativeSpans: negativeEncoded.spans,
            positiveDeltas: positiveEncoded.deltas, negativeDeltas: negativeEncoded.deltas)
    }

    /// The schema observations are recorded at now.
    var schema: Int32 { currentGeneration.schema }

    /// One table of buckets at one schema.
    final class Generation: @unchecked Sendable {
        enum Outcome {
            case recorded
            case recordedOverLimit(buckets: Int)
            case tableFull
        }

        static let empty = Int64.min

        let schema: Int32
        let capacity: Int
        let zeroThreshold: Double
        /// Bucket keys (`index * 2`, plus 1 for the negative side), `empty` where unclaimed.
        private let keys: UnsafeMutablePointer<Int64>
        private let counts: UnsafeMutablePointer<Int64>
        /// [0]: zero bucket, [1]: buckets claimed, [2]: observations in flight.
        private let scalars: UnsafeMutablePointer<Int64>

        init(schema: Int32, capacity: Int, zeroThreshold: Double) {
            self.schema = schema
            self.capacity = capacity
            self.zeroThreshold = zeroThreshold
            keys = .allocate(capacity: capacity)
            keys.initialize(repeating: Self.empty, count: capacity)
            counts = .allocate(capacity: capacity)
            counts.initialize(repeating: 0, count: capacity)
            scalars = .allocate(capacity: 3)
            scalars.initialize(repeating: 0, count: 3)
        }

        deinit {
            keys.deallocate()
            counts.deallocate()
            scalars.deallocate()
        }

        var address: UInt { UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque()) }

        @inline(__always) func enter() { prometheus_atomic_add_int64_seq_cst(scalars + 2, 1) }
        @inline(__always) func leave() { prometheus_atomic_add_int64_seq_cst(scalars + 2, -1) }

        func waitUntilIdle() {
            var spins = 0
            while prometheus_atomic_load_int64_seq_cst(scalars + 2) != 0 {
                spins += 1
                if spins > 1000 { NativeThread.yield() }
            }
        }

        var zeroCount: Int64 { prometheus_atomic_load_int64(scalars) }

        @inline(__always)
        func record(_ value: Double, count: Int64 = 1) -> Outcome {
            let magnitude = Swift.abs(value)
            if magnitude <= zeroThreshold {
                prometheus_atomic_add_int64(scalars, count)
                return .recorded
            }
            let index = magnitude.isInfinite ? Int(Int32.max) : NativeBucketMath.index(of: magnitude, schema: schema)
            return add(key: Int64(index) * 2 + (value < 0 ? 1 : 0), count: count)
        }

        @inline(__always)
        private func add(key: Int64, count: Int64) -> Outcome {
            let mask = capacity - 1
            var slot = Int(truncatingIfNeeded: UInt64(bitPattern: key) &* 0x9E37_79B9_7F4A_7C15 >> 40) & mask
            for _ in 0..<capacity {
                let existing = prometheus_atomic_load_int64(keys + slot)
                if existing == key {
                    prometheus_atomic_add_int64(counts + slot, count)
                    return .recorded
                }
                if existing == Self.empty {
                    if prometheus_atomic_compare_exchange_int64(keys + slot, Self.empty, key) {
                        prometheus_atomic_add_int64(counts + slot, count)
                        prometheus_atomic_add_int64_seq_cst(scalars + 1, 1)
                        return .recordedOverLimit(buckets: Int(prometheus_atomic_load_int64(scalars + 1)))
                    }
                    if prometheus_atomic_load_int64(keys + slot) == key {
                        prometheus_atomic_add_int64(counts + slot, count)
                        return .recorded
                    }
                }
                slot = (slot + 1) & mask
            }
            return .tableFull
        }

        /// Every claimed bucket as (key, count).
        func buckets() -> [(key: Int64, count: Int64)] {
            var result: [(key: Int64, count: Int64)] = []
            for slot in 0..<capacity {
                let key = prometheus_atomic_load_int64(keys + slot)
                if key != Self.empty { result.append((key, prometheus_atomic_load_int64(counts + slot))) }
            }
            return result
        }

        /// Buckets by side, sorted by index.
        func bucketsBySide() -> (positive: [(index: Int, count: Int64)], negative: [(index: Int, count: Int64)]) {
            var positive: [(index: Int, count: Int64)] = []
            var negative: [(index: Int, count: Int64)] = []
            for (key, count) in buckets() {
                let index = Int(key >> 1)
                if key & 1 == 0 { positive.append((index, count)) } else { negative.append((index, count)) }
            }
            return (positive.sorted { $0.index < $1.index }, negative.sorted { $0.index < $1.index })
        }

        /// Whether `buckets` (keys at `oldSchema`) fit this generation's schema and zero bucket
        /// within `limit` and its table.
        func canHold(_ buckets: [(key: Int64, count: Int64)], from oldSchema: Int32, limit: Int) -> Bool {
            let steps = Int(oldSchema - schema)
            let reduced = Set(
                buckets.filter { !swallows($0.key, at: oldSchema) }.map { Self.reducedKey($0.key, by: steps) })
            return reduced.count < capacity / 2 && (limit <= 0 || reduced.count <= limit)
        }

        /// Whether this generation's zero bucket holds the whole bucket `key` of `schema`.
        private func swallows(_ key: Int64, at schema: Int32) -> Bool {
            NativeBucketMath.upperBound(index: Int(key >> 1), schema: schema) <= zeroThreshold
        }

        /// The zero threshold that swallows the lowest of `buckets` (by magnitude, either side): the
        /// upper bound of that bucket, if it does not exceed `limit`; nil when none can be swallowed.
        static func widenedThreshold(
            _ buckets: [(key: Int64, count: Int64)], schema: Int32, from threshold: Double, limit: Double
        ) -> Double? {
            let bounds = buckets.map { NativeBucketMath.upperBound(index: Int($0.key >> 1), schema: schema) }
            guard let lowest = bounds.filter({ $0 > threshold }).min(), lowest <= limit else { return nil }
            return lowest
        }

        private static func reducedKey(_ key: Int64, by steps: Int) -> Int64 {
            Int64(NativeBucketMath.reduce(index: Int(key >> 1), by: steps)) * 2 + (key & 1)
        }

        /// Adds every count of `old` (at a higher schema) into this generation.
        func absorb(_ old: Generation) {
            prometheus_atomic_add_int64(scalars, old.zeroCount)
            let steps = Int(old.schema - schema)
            for (key, count) in old.buckets() where count != 0 {
                if swallows(key, at: old.schema) {
                    prometheus_atomic_add_int64(scalars, count)
                } else {
                    _ = add(key: Self.reducedKey(key, by: steps), count: count)
                }
            }
        }
    }
}
