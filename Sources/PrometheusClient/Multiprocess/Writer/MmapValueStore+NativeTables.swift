import CPrometheusSupport
import PrometheusSystem

// MARK: - Native histogram tables

extension MmapValueStore: NativeTableSource {
    func withTableLock<T>(_ body: () -> T) -> T {
        mutex.withLock(body)
    }

    func makeTableLocked(
        for series: SeriesStorage, schema: Int32, zeroThreshold: Double, capacity: Int
    ) -> UnsafeMutableRawPointer? {
        // Only series whose values are in this process's files: the tables count with them.
        guard !series.isDetached, series.isBound, series.currentBinding?.isExternal == true,
            let options = series.descriptor.layout.native
        else { return nil }
        let descriptor = series.descriptor
        let key = DBKey.encode(
            familyName: descriptor.familyName, sampleName: descriptor.familyName, labels: descriptor.labels,
            help: descriptor.help)
        do {
            return try nativeFileLocked().appendNativeTable(
                key: key, capacity: capacity,
                flags: options.keepsClassicBuckets ? NativeBucketFileLayout.keepsClassicBucketsFlag : 0,
                schema: schema, zeroThreshold: zeroThreshold)
        } catch {
            recordFailureLocked(error)
            return nil
        }
    }

    func markTableRemovedLocked(_ table: UnsafeMutableRawPointer) {
        NativeBucketFileLayout.markRemoved(table)
    }
}
