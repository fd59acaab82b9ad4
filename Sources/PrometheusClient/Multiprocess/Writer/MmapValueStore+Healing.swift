import PrometheusSystem

extension MmapValueStore {
    // MARK: - Series kept in memory, back into the files

    /// Series kept in memory right now because a file could not be created or grown (0 once every
    /// one is back in the files).
    var seriesInMemory: Int {
        withLock { stranded.count }
    }

    /// Tries to move the series kept in memory back into the files when a try is due (at most every
    /// ``healInterval`` seconds), and adds late writes to series moved lately. Called on slow paths
    /// and by the healing thread, under the store's lock.
    ///
    /// - Returns: whether anything is left to move or watch.
    @discardableResult
    func healIfDueLocked() -> Bool {
        guard !stranded.isEmpty else { return false }
        let now = SystemClock.monotonic()
        if stranded.isDue(now: now, interval: healInterval) {
            stranded.moveBack(now: now) { series throws(MultiprocessError) in try fileBindingLocked(for: series) }
            if stranded.needsGauge, let gaugeFile = try? openFileLocked(.gauge(.livesum)) {
                stranded.attachGauge(to: gaugeFile)
            }
            for entry in liveSeries {
                guard let series = entry.series, series.currentBinding?.isExternal == true else { continue }
                series.nativeRecorder?.attachLocked()
            }
        }
        stranded.drain(now: now)
        return !stranded.isEmpty
    }

    /// Starts this process's healing thread, which tries every ``healInterval`` seconds until
    /// nothing is left to move or watch (or the store goes). Off the hot path: writers never wait
    /// for it.
    func startHealerLocked() {
        guard healerProcessID != CurrentProcess.id else { return }
        healerProcessID = CurrentProcess.id
        let reference = WeakStoreReference(self)
        let interval = Swift.max(0.01, Swift.min(healInterval, StrandedSeries.drainPeriod / 4))
        do {
            try NativeThread.startDetached(stackSize: 256 << 10) {
                repeat {
                    SystemClock.sleep(seconds: interval)
                } while reference.healIfAlive()
            }
        } catch {
            healerProcessID = nil
            PrometheusDiagnostics.report(
                .writer,
                "process \(CurrentProcess.id) cannot start the thread that moves metric values back into files: \(error)"
            )
        }
    }
}
