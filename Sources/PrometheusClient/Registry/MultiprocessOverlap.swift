/// Which collectors of a registry a ``MultiProcessCollector`` of the same registry already covers:
/// metrics of this process that write into the directory it merges (a master that enabled
/// multiprocess mode and registered its own metrics). Their values are in the merge, so collecting
/// them too would give every such family twice, the Python client's well-known pitfall; they are
/// left out of the registry's collections instead.
enum MultiprocessOverlap {
    /// The entries to collect: all but the covered ones. Costs a pass over the entries.
    static func uncovered(_ entries: [CollectorRegistry.Entry]) -> [CollectorRegistry.Entry] {
        let merged = entries.compactMap { ($0.collector as? any MultiprocessMergingCollector)?.mergedDirectory }
        guard !merged.isEmpty else { return entries }
        return entries.filter { entry in
            guard let directory = (entry.collector as? any MultiprocessStoreCollector)?.multiprocessDirectory else {
                return true
            }
            return !merged.contains(directory)
        }
    }
}

/// A collector that serves the merge of a multiprocess directory (``MultiProcessCollector``): the
/// registry leaves out its own metrics that write into that directory.
package protocol MultiprocessMergingCollector: Collector {
    /// The directory merged.
    var mergedDirectory: String { get }
}

/// A collector whose values may live in a multiprocess directory: the metric types.
protocol MultiprocessStoreCollector: Collector {
    /// The directory its values are written to, or nil in single-process mode.
    var multiprocessDirectory: String? { get }
}
