import PrometheusSystem

/// Exposes the Swift runtime and platform as an info metric, the analogue of the Python client's
/// `python_info`: `swift_info{version="6.3", os="Linux", os_release="...", architecture="x86_64"} 1`.
public final class PlatformCollector: Collector {
    private let family: MetricFamily

    /// Creates the collector (the platform is read once) and registers it.
    ///
    /// - Throws: `RegistryError` when `swift_info` is already registered.
    public convenience init(registry: CollectorRegistry? = nil) throws(RegistryError) {
        self.init()
        try registry?.register(self)
    }

    init() {
        let labels = [Label](Self.platformLabels())
        family = MetricFamily(
            name: "swift", help: "Swift platform information", type: .info,
            samples: [Sample(name: "swift_info", labels: labels, value: 1)])
    }

    /// The `swift_info` family without samples.
    public func describe() -> [MetricFamily]? {
        [MetricFamily(name: family.name, help: family.help, type: .info)]
    }

    /// The `swift_info` family.
    public func collect() -> [MetricFamily] {
        [family]
    }

    static func platformLabels() -> [String: String] {
        let platform = CurrentProcess.platform
        return [
            "version": compilerVersion, "implementation": "Swift", "os": platform.system,
            "os_release": platform.release, "architecture": platform.machine,
        ]
    }

    /// The version of the compiler that built this package (Swift has no runtime version query).
    static var compilerVersion: String {
        #if compiler(>=7.0)
            return "7.0+"
        #elseif compiler(>=6.4)
            return "6.4"
        #elseif compiler(>=6.3)
            return "6.3"
        #elseif compiler(>=6.2)
            return "6.2"
        #elseif compiler(>=6.1)
            return "6.1"
        #else
            return "6.0"
        #endif
    }
}
