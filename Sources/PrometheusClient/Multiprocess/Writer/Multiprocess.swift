import Synchronization

/// Switches this process to multiprocess mode, where every metric's values live in memory-mapped
/// files shared with a master process that merges them (as with the Python client's
/// `PROMETHEUS_MULTIPROC_DIR`).
///
/// Call ``enable(directory:)`` at start-up, before any metric is created and before forking
/// workers. Setting the environment variable `PROMETHEUS_MULTIPROC_DIR` instead has the same effect.
public enum Multiprocess {
    /// Makes every metric created from now on store its values in per-process files under
    /// `directory`, named after `identity` (the pid by default). Calling it again with the same
    /// directory does nothing.
    ///
    /// A stable identity (``WriterIdentity/named(_:)``, ``WriterIdentity/slot(_:)``,
    /// ``WriterIdentity/firstFreeSlot(below:)``) is claimed here, with an exclusive lease that the
    /// kernel releases when this process ends; a pid identity is claimed at the first write.
    ///
    /// - Throws: `MultiprocessError.invalidDirectory` when `directory` is empty, does not exist, is
    ///   not a directory or is not writable; `MultiprocessError.configuredTooLate` when a metric was
    ///   already created (in single-process mode or with another directory);
    ///   `MultiprocessError.identityInUse` or `.noFreeSlot` when another live process holds the
    ///   identity; `MultiprocessError.invalidProcessIdentifier` for a name that cannot appear in
    ///   file names.
    public static func enable(directory: String, identity: WriterIdentity = .processID) throws(MultiprocessError) {
        try ActiveValueStore.enable(directory: directory, identity: identity)
    }

    /// How often, in seconds, a worker samples the callbacks of its gauges given
    /// ``GaugeChild/setFunction(_:)`` into its files (default 1). Read before each sampling round.
    public static var gaugeFunctionInterval: Double {
        get { Double(bitPattern: functionInterval.load(ordering: .relaxed)) }
        set { functionInterval.store(Swift.max(0.01, newValue).bitPattern, ordering: .relaxed) }
    }

    private static let functionInterval = Atomic<UInt64>(
        PrometheusConfiguration.process.gaugeFunctionInterval.bitPattern)

    /// Samples the callbacks of this process's gauges given ``GaugeChild/setFunction(_:)`` into its
    /// files now, on the calling thread (for example right before a master scrapes, or before a
    /// batch worker exits). Costs one call of each callback. Does nothing in single-process mode,
    /// where callbacks are called at every collection anyway.
    public static func sampleGaugeFunctions() {
        (try? ActiveValueStore.current())?.sampleFunctions()
    }

    /// The multiprocess directory: the one in use, else the one enabled or set in the environment;
    /// `nil` in single-process mode.
    public static var directory: String? {
        ActiveValueStore.directory
    }
}
