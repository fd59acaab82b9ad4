import PrometheusClient
import PrometheusMultiprocess

extension Pushgateway {
    /// Pushes the merged view of a multiprocess directory: the values every worker process of a batch
    /// job wrote, merged as a master's scrape would merge them, as one group (the Python client cannot
    /// push in multiprocess mode). Live-mode gauges of writers that have ended are left out, as in a
    /// scrape; nothing in the directory is archived or deleted.
    ///
    /// - Parameters:
    ///   - directory: the multiprocess directory; nil for `PROMETHEUS_MULTIPROC_DIR`.
    ///   - method: `.put` replaces the group (default), `.post` replaces only metrics of the same names.
    /// - Throws: ``PushError/collectionFailed(_:)`` when the directory cannot be read or merged
    ///   (nothing is sent), and everything ``push(job:groupingKey:families:)`` throws.
    public func pushMultiprocess(
        directory: String? = nil,
        job: String,
        groupingKey: [String: String] = [:],
        method: PushMethod = .put
    ) throws(PushError) {
        let families: [MetricFamily]
        do {
            // Dead writers' live gauges are left out, and pushing never changes the directory.
            families = try MultiProcessCollector(path: directory, lifecycle: .init(archiving: .off)).collect()
        } catch {
            throw .collectionFailed("cannot merge the multiprocess directory: \(error)")
        }
        guard method != .delete else {
            throw .collectionFailed("pushMultiprocess pushes values; use delete(job:groupingKey:) to remove a group")
        }
        try send(method, job: job, groupingKey: groupingKey, exposition: Self.render(families))
    }
}
