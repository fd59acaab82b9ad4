import PrometheusClient
import PrometheusSystem
import Synchronization

/// The writers whose files could not all be archived (a full disk), per directory, with their
/// archiving choice: retried by the next `markProcessDead` call and the next collections of a
/// ``MultiProcessCollector`` in the process, until they succeed. Nothing is folded twice: a file
/// leaves the directory in the same journaled step that adds it to its archive, so a retry folds
/// only what is left.
///
/// ``shared`` is the list of the process (the free function `markProcessDead` has no other place to
/// remember); a test makes its own.
final class FoldRetryList: Sendable {
    /// The process's list.
    static let shared = FoldRetryList()

    private struct Pending {
        var archiving: [String: Bool] = [:]
        var lastAttempt = 0.0
    }

    private let pending = Mutex<[String: Pending]>([:])

    /// Remembers `identifier` of `directory` when its handling `failed`, forgets it when it did not.
    func record(_ identifier: String, archiving: Bool, in directory: String, failed: Bool) {
        pending.withLock { pending in
            if failed {
                pending[directory, default: Pending()].archiving[identifier] = archiving
            } else {
                pending[directory]?.archiving.removeValue(forKey: identifier)
                if pending[directory]?.archiving.isEmpty == true { pending.removeValue(forKey: directory) }
            }
        }
    }

    /// The writers of `directory` waiting for another try.
    func waiting(in directory: String) -> [String] {
        pending.withLock { $0[directory]?.archiving.keys.sorted() ?? [] }
    }

    /// Retries the writers of `directory` whose handling failed, unless the last attempt was less
    /// than `interval` seconds ago. Failures are left for the next attempt.
    func retry(in directory: MultiprocessDirectory, notMoreOftenThan interval: Double, except skipped: String? = nil) {
        let now = SystemClock.monotonic()
        let due: [String: Bool] = pending.withLock { pending in
            guard var entry = pending[directory.path], now - entry.lastAttempt >= interval else { return [:] }
            let due = entry.archiving.filter { $0.key != skipped }
            guard !due.isEmpty else { return [:] }
            entry.lastAttempt = now
            pending[directory.path] = entry
            return due
        }
        for (identifier, archiving) in due.sorted(by: { $0.key < $1.key }) {
            _ = try? ProcessArchiver(directory: directory, retries: self).markDead(
                processIdentifier: identifier, archiving: archiving)
        }
    }
}
