import PrometheusSystem

extension CollectorRegistry {
    /// The process-wide registry. It describes collectors without `describe()` by collecting them
    /// once at registration (`autoDescribe`), and starts with ``ProcessCollector/default`` and
    /// ``PlatformCollector/default``; unregister them to drop their series:
    ///
    /// ```swift
    /// try CollectorRegistry.default.unregister(ProcessCollector.default)
    /// ```
    public static let `default`: CollectorRegistry = {
        let registry = CollectorRegistry(autoDescribe: true)
        // An empty registry cannot clash with the built-in names, so these never throw.
        try? registry.register(ProcessCollector.default)
        try? registry.register(PlatformCollector.default)
        return registry
    }()
}

extension ProcessCollector {
    /// The collector of this process's metrics that ``CollectorRegistry/default`` starts with (the
    /// Python client's `PROCESS_COLLECTOR`).
    public static let `default` = ProcessCollector(
        unregisteredNamespace: "", pid: { CurrentProcess.id }, procRoot: "/proc")
}

extension PlatformCollector {
    /// The `swift_info` collector that ``CollectorRegistry/default`` starts with (the Python client's
    /// `PLATFORM_COLLECTOR`).
    public static let `default` = PlatformCollector()
}
