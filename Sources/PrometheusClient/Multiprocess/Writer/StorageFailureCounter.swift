import CPrometheusSupport
import PrometheusSystem

/// How a multiprocess writer counts the series it keeps in memory because a file could not be
/// created or grown, so that the master sees `prometheus_multiproc_storage_failures_total`.
///
/// The count goes into the first entry of the writer's counter file, written when the store creates
/// its first file, so counting a failure never needs new space. A writer that cannot create even its
/// counter file counts in a ``StorageFailureMarker`` instead: an empty file whose name carries the
/// count, renamed at each failure, which needs no free blocks. Each cause is logged once. Not locked
/// itself: its store calls it under the store's lock.
final class StorageFailureCounter {
    private let directory: MultiprocessDirectory
    private var slot: UnsafeMutablePointer<Double>?
    /// Series kept in memory since the store (or, after a fork, the process) started.
    private(set) var count = 0
    private var loggedCauses = Set<String>()
    private var marker: StorageFailureMarker?

    init(directory: MultiprocessDirectory) {
        self.directory = directory
    }

    /// Whether failures still have neither a counter entry nor a marker to go to.
    var needsCounter: Bool { slot == nil && marker == nil }

    /// Writes the counter's entry into `counterFile`, with the failures counted so far.
    ///
    /// - Throws: `MultiprocessError` when the file cannot grow to hold it.
    func attach(to counterFile: MmapFile) throws(MultiprocessError) {
        let attached = try counterFile.slots(for: [StorageFailureMarker.counterKey.encoded])[0]
        slot = attached
        if count > 0 {
            // Failures that neither a counter file nor a marker could record so far.
            prometheus_atomic_add_double(attached, Double(count))
        }
    }

    /// Counts one series kept in memory because of `error`, logging each cause once.
    func record(_ error: MultiprocessError, identifier: String, processID: Int32) {
        count += 1
        if let slot {
            prometheus_atomic_add_double(slot, 1)
        } else {
            updateMarker(identifier: identifier)
        }
        let cause: String
        if case .fileFailure(let path, let operation, let code) = error {
            cause = "\(path)\u{0}\(operation)\u{0}\(code.rawValue)"
        } else {
            cause = "\(error)"
        }
        guard loggedCauses.insert(cause).inserted else { return }
        PrometheusDiagnostics.report(
            .writer, "process \(processID) keeps metric values in memory (not visible to the master) because \(error)"
        )
    }

    /// Counts on in `counterFile`, the successor of a counter file that lost its name, whose entries
    /// it got as copies (the count included). A marker, deleted with the directory, is forgotten.
    func reattach(to counterFile: MmapFile) {
        marker = nil
        slot = try? counterFile.slots(for: [StorageFailureMarker.counterKey.encoded])[0]
    }

    /// In a forked child: the child counts its own failures, in its own files.
    func resetInForkedChild() {
        slot = nil
        count = 0
        marker = nil
        loggedCauses.removeAll(keepingCapacity: true)
    }

    /// Writes the count into the marker's name: created empty the first time, renamed after.
    private func updateMarker(identifier: String) {
        let next = StorageFailureMarker(
            processIdentifier: identifier,
            incarnation: marker?.incarnation ?? String(UInt64.random(in: 1...UInt64.max), radix: 16),
            count: count)
        let nextPath = directory.file(named: next.fileName)
        do {
            if let current = marker {
                try FileSystem.rename(directory.file(named: current.fileName), to: nextPath)
            } else {
                let created = try FileDescriptor.open(nextPath, .writeOnly, options: [.create, .exclusive])
                created.close()
            }
            marker = next
        } catch {
            // Nowhere to count it: it stays in `count`, for a counter file created later.
        }
    }
}
