import Foundation
import PrometheusTestSupport
import Synchronization
import Testing

@testable import PrometheusClient

/// The thread that samples gauge callbacks in a multiprocess worker: each callback is sampled when
/// it is set, so the thread's first sample waits an interval; a late-scheduled thread must not
/// overwrite a value set since. A forked child's thread samples at once (its copies were never
/// sampled into its own files).
@Suite("Multiprocess: the gauge callback sampler's first sample")
struct GaugeCallbackSamplerTests {
    final class CountingSeries: SampledSeries, @unchecked Sendable {
        let sampledStorage: SeriesStorage
        let samples = Atomic<Int>(0)
        init(_ storage: SeriesStorage) { sampledStorage = storage }
        func storeCallbackValue() -> Bool {
            samples.add(1, ordering: .relaxed)
            return true
        }
        func lockCallbackForFork() {}
        func unlockCallbackAfterFork() {}
    }

    @Test("in the process that set the callbacks, the thread naps before it samples")
    func theThreadNapsFirst() throws {
        let series = CountingSeries(InMemoryValueStore().makeSeries(MultiprocessFixtures.gauge("sampler_nap")))
        let sampler = GaugeCallbackSampler(interval: { 3600 })
        sampler.addLocked(series)
        try sampler.startIfNeededLocked(processID: 4_000_001) { [series] in series.storeCallbackValue() }
        usleep(300_000)
        #expect(series.samples.load(ordering: .relaxed) == 0)
    }

    @Test("in a forked child, the thread samples at once")
    func aChildsThreadSamplesAtOnce() throws {
        let series = CountingSeries(InMemoryValueStore().makeSeries(MultiprocessFixtures.gauge("sampler_child")))
        let sampler = GaugeCallbackSampler(interval: { 3600 })
        sampler.addLocked(series)
        sampler.resetInForkedChild()
        try sampler.startIfNeededLocked(processID: 4_000_002) { [series] in series.storeCallbackValue() }
        let deadline = Date().addingTimeInterval(10)
        while series.samples.load(ordering: .relaxed) == 0 && Date() < deadline { usleep(5_000) }
        #expect(series.samples.load(ordering: .relaxed) == 1)
    }
}
