import Glibc

/// Exposes the Swift runtime and platform as an info metric, the analogue of the Python client's
/// `python_info`: `swift_info{version="6.3", os="Linux", os_release="...", architecture="x86_64"} 1`.
public final class PlatformCollector: Collector {
    private let family: MetricFamily

    /// Creates the collector (the platform is read once) and registers it.
    ///
    /// - Throws: `RegistryError` when `swift_info` is already registered.
    public init(registry: CollectorRegistry? = nil) throws(RegistryError) {
        let labels = [Label](Self.platformLabels())
        family = MetricFamily(
            name: "swift", help: "Swift platform information", type: .info,
            samples: [Sample(name: "swift_info", labels: labels, value: 1)])
        try registry?.register(self)
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
        var system = utsname()
        uname(&system)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return [
            "version": compilerVersion, "implementation": "Swift", "os": text(system.sysname),
            "os_release": text(system.release), "architecture": text(system.machine),
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
