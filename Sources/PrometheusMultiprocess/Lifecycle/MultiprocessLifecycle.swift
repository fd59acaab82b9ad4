import PrometheusClient
import PrometheusSystem

/// How a master treats the writers of its multiprocess directory: how it tells live writers from
/// dead ones, and what it does with the dead ones' files, without any call from the application.
///
/// ``markProcessDead(pid:path:archiving:)`` stays available as a fast path; with the automatic
/// policy it is never needed.
public struct MultiprocessLifecycle: Sendable, Hashable {
    /// How writers are judged alive.
    public enum Liveness: Sendable, Hashable {
        /// Swift writers by their lease (exact, across pid namespaces); writers without one (Python
        /// workers, or identities claimed by nobody) by their pid: alive while a process with that
        /// pid exists and maps the writer's files (or, when its memory maps cannot be read, started
        /// before the files last changed). A pid the master cannot see (a pid namespace it is not
        /// in) counts as dead, so give such masters ``leasesOnly``.
        case leasesAndProcesses
        /// Swift writers by their lease; writers without one count as alive until
        /// ``markProcessDead(pid:path:archiving:)``, as in the Python client.
        case leasesOnly
        /// Every writer counts as alive, as in the Python client.
        case off
    }

    /// What happens to the files of writers judged dead. Live-mode gauges of dead writers leave the
    /// merge at once in every case; archiving also deletes them and folds the durable files
    /// (counters, histograms, summaries, min, max, sum and mostrecent gauges) into the archives,
    /// exactly as ``markProcessDead(pid:path:archiving:)`` does.
    public enum Archiving: Sendable, Hashable {
        /// Before each collection, under the directory lock.
        case onScrape
        /// On a thread of the collector, every `interval` seconds.
        case background(interval: Double)
        /// Never: dead writers' files stay (choose this when a Python master also reads the
        /// directory, as Python's reader fails on files archived under it).
        case off
    }

    /// How writers are judged alive.
    public var liveness: Liveness
    /// What happens to dead writers' files.
    public var archiving: Archiving

    /// A policy; the defaults judge every writer and archive the dead ones at each scrape.
    public init(liveness: Liveness = .leasesAndProcesses, archiving: Archiving = .onScrape) {
        self.liveness = liveness
        self.archiving = archiving
    }

    /// Judges every writer and archives dead ones at each scrape.
    public static let automatic = MultiprocessLifecycle()
    /// The Python client's behaviour: every file counts until `markProcessDead`, nothing is archived
    /// automatically.
    public static let manual = MultiprocessLifecycle(liveness: .off, archiving: .off)
}
