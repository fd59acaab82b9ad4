/// Anything that produces metric families at scrape time: the built-in metric types, the process
/// collector, the multiprocess collector, and user code that mirrors values from elsewhere.
///
/// `collect()` may throw; the registry then serves every other collector's families and reports the
/// failure instead of failing the whole scrape.
public protocol Collector: AnyObject, Sendable {
    /// The families this collector produces, samples optional, so the registry can reject name
    /// clashes at registration. Return `nil` when the names are not known in advance; the registry
    /// then calls `collect()` instead if it was created with `autoDescribe`.
    func describe() -> [MetricFamily]?

    /// Produces the current families.
    ///
    /// - Throws: any error; the registry isolates it from the other collectors.
    func collect() throws -> [MetricFamily]
}

extension Collector {
    /// By default a collector does not describe itself.
    public func describe() -> [MetricFamily]? { nil }
}
