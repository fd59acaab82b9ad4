import PrometheusSystem

extension MmapValueStore {
    // MARK: - fork()

    /// Called by ``ForkHandler`` before `fork()`: no thread may be inside the store while the process
    /// is copied.
    func lockForFork() {
        mutex.lock()
        sampler.lockCallbacksForFork()
    }

    /// Called by ``ForkHandler`` in the parent after `fork()`.
    func unlockAfterForkInParent() {
        sampler.unlockCallbacksAfterFork()
        mutex.unlock()
    }

    /// Called by ``ForkHandler`` in the child after `fork()`, single-threaded, with the lock held by
    /// this thread: drops every binding and the parent's files, so each series' next write binds it
    /// to the child's own files, starting from zero as in the Python client.
    func resetInForkedChild() {
        identity.resetInForkedChild(processID: CurrentProcess.id)
        for index in liveSeries.indices {
            liveSeries[index].series?.unbindAfterFork()
            liveSeries[index].series?.exemplarSlots.removeAll()
        }
        closeFiles()
        retiredFiles.removeAll()
        watchedDirectory = nil
        lastDirectoryCheck = -Double.infinity
        lossSeen = false
        for index in liveSeries.indices {
            liveSeries[index].series?.nativeRecorder?.resetInForkedChild()
        }
        sampler.resetInForkedChild()
        failures.resetInForkedChild()
        stranded.resetInForkedChild()
        healerProcessID = nil
        cleanedUp = false
        mutex.unlock()
    }
}
