import CPrometheusSupport
import PrometheusSystem

extension NativeBucketRecorder {
    /// One table of buckets at one schema, in process memory or in a file (``NativeBucketTable``:
    /// header, stored keys, counts).
    final class Generation: @unchecked Sendable {
        enum Outcome {
            case recorded
            case recordedOverLimit(buckets: Int)
            case tableFull
        }

        let schema: Int32
        let capacity: Int
        let zeroThreshold: Double
        /// The table header; keys and counts follow it.
        let table: UnsafeMutableRawPointer
        /// Whether the table lives in a file (else this generation allocated it).
        let isInFile: Bool
        private let keys: UnsafeMutablePointer<Int64>
        private let counts: UnsafeMutablePointer<Int64>
        private let zero: UnsafeMutablePointer<Int64>
        /// In process memory, whatever the table: [0] buckets claimed, [1] observations in flight
        /// (a killed process's observations in flight must not stall its successor).
        private let scalars: UnsafeMutablePointer<Int64>

        /// A generation over `table` (zeroed, header written) or, when nil, over a table of its own.
        init(schema: Int32, capacity: Int, zeroThreshold: Double, table: UnsafeMutableRawPointer?) {
            self.schema = schema
            self.capacity = capacity
            self.zeroThreshold = zeroThreshold
            if let table {
                self.table = table
                isInFile = true
            } else {
                let size = NativeBucketTable.size(capacity: capacity)
                let owned = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
                owned.initializeMemory(as: UInt8.self, repeating: 0, count: size)
                self.table = owned
                isInFile = false
            }
            zero = (self.table + NativeBucketTable.zeroCountOffset).assumingMemoryBound(to: Int64.self)
            keys = (self.table + NativeBucketTable.headerSize).assumingMemoryBound(to: Int64.self)
            counts = keys + capacity
            scalars = .allocate(capacity: 2)
            scalars.initialize(repeating: 0, count: 2)
        }

        deinit {
            if !isInFile { table.deallocate() }
            scalars.deallocate()
        }

        var address: UInt { UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque()) }

        @inline(__always) func enter() { prometheus_atomic_add_int64_seq_cst(scalars + 1, 1) }
        @inline(__always) func leave() { prometheus_atomic_add_int64_seq_cst(scalars + 1, -1) }

        func waitUntilIdle() {
            var spins = 0
            while prometheus_atomic_load_int64_seq_cst(scalars + 1) != 0 {
                spins += 1
                if spins > 1000 { NativeThread.yield() }
            }
        }

        var zeroCount: Int64 { prometheus_atomic_load_int64(zero) }

        @inline(__always)
        func record(_ value: Double, count: Int64 = 1) -> Outcome {
            let magnitude = Swift.abs(value)
            if magnitude <= zeroThreshold {
                prometheus_atomic_add_int64(zero, count)
                return .recorded
            }
            let index = magnitude.isInfinite ? Int(Int32.max) : NativeBucketMath.index(of: magnitude, schema: schema)
            return add(key: Int64(index) * 2 + (value < 0 ? 1 : 0), count: count)
        }

        @inline(__always)
        private func add(key: Int64, count: Int64) -> Outcome {
            let stored = key ^ NativeBucketTable.keyMask
            let mask = capacity - 1
            var slot = Int(truncatingIfNeeded: UInt64(bitPattern: key) &* 0x9E37_79B9_7F4A_7C15 >> 40) & mask
            for _ in 0..<capacity {
                let existing = prometheus_atomic_load_int64(keys + slot)
                if existing == stored {
                    prometheus_atomic_add_int64(counts + slot, count)
                    return .recorded
                }
                if existing == 0 {
                    if prometheus_atomic_compare_exchange_int64(keys + slot, 0, stored) {
                        prometheus_atomic_add_int64(counts + slot, count)
                        prometheus_atomic_add_int64_seq_cst(scalars, 1)
                        return .recordedOverLimit(buckets: Int(prometheus_atomic_load_int64(scalars)))
                    }
                    if prometheus_atomic_load_int64(keys + slot) == stored {
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
                let stored = prometheus_atomic_load_int64(keys + slot)
                if stored != 0 {
                    result.append(
                        (stored ^ NativeBucketTable.keyMask, prometheus_atomic_load_int64(counts + slot)))
                }
            }
            return result
        }

        /// Adds this generation's counts to `total`.
        func addTo(_ total: inout NativeBucketTotal) {
            total.add(schema: schema, zeroThreshold: zeroThreshold, zeroCount: zeroCount, buckets: buckets())
        }

        /// Whether `buckets` (keys at `oldSchema`) fit a table of `capacity` at `schema` with
        /// `zeroThreshold`, within `limit`.
        static func canHold(
            _ buckets: [(key: Int64, count: Int64)], from oldSchema: Int32, at schema: Int32, zeroThreshold: Double,
            capacity: Int, limit: Int
        ) -> Bool {
            let steps = Int(oldSchema - schema)
            let reduced = Set(
                buckets.filter {
                    NativeBucketMath.upperBound(index: Int($0.key >> 1), schema: oldSchema) > zeroThreshold
                }.map { reducedKey($0.key, by: steps) })
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

        /// Adds every count of `old` (at this schema or a higher one) into this generation; without
        /// `counting`, only claims the buckets they fall into, with count 0.
        func absorb(_ old: Generation, counting: Bool = true) {
            if counting { prometheus_atomic_add_int64(zero, old.zeroCount) }
            let steps = Int(old.schema - schema)
            for (key, count) in old.buckets() where count != 0 {
                if swallows(key, at: old.schema) {
                    if counting { prometheus_atomic_add_int64(zero, count) }
                } else {
                    _ = add(key: Self.reducedKey(key, by: steps), count: counting ? count : 0)
                }
            }
        }
    }
}
