import Foundation
import Synchronization

/// Chooses, once per process, the value store that new metrics write to.
///
/// In order: the directory given to ``Multiprocess/enable(directory:)``, then the environment
/// variable `PROMETHEUS_MULTIPROC_DIR`, then the deprecated `prometheus_multiproc_dir` (with a
/// warning); with none of them, the in-memory store. The choice is made by the first call of
/// ``current()`` (the first metric created) and never changes afterwards.
enum ActiveValueStore {
    private struct State {
        var enabledDirectory: String?
        var decision: Result<any ValueStore, MultiprocessError>?
    }

    private static let state = Mutex(State())

    /// The store new metrics should use.
    ///
    /// - Throws: `MultiprocessError.invalidDirectory` when the configured multiprocess directory is
    ///   empty, missing, not a directory or not writable (the same error on every call).
    static func current() throws(MultiprocessError) -> any ValueStore {
        let decision = state.withLock { state in
            if let decision = state.decision {
                return decision
            }
            let decision = decide(enabledDirectory: state.enabledDirectory)
            state.decision = decision
            return decision
        }
        return try decision.get()
    }

    /// Records the directory of ``Multiprocess/enable(directory:)``.
    ///
    /// - Throws: `MultiprocessError.configuredTooLate` when a store was already chosen for another
    ///   directory or for in-memory values; `MultiprocessError.invalidDirectory` for an unusable
    ///   directory.
    static func enable(directory: String) throws(MultiprocessError) {
        let validated = try MultiprocessDirectory(path: directory, forWriting: true)
        try state.withLock { state throws(MultiprocessError) in
            switch state.decision {
            case nil:
                state.enabledDirectory = validated.path
            case .success(let store as MmapValueStore) where store.directory.path == validated.path:
                return
            case .success(let store as MmapValueStore):
                throw .configuredTooLate(
                    "metrics already write to \"\(store.directory.path)\"; enable \"\(directory)\" before creating any")
            default:
                throw .configuredTooLate(
                    "metrics were already created in single-process mode; call Multiprocess.enable(directory:) first")
            }
        }
    }

    /// The multiprocess directory in use or configured, or `nil` in single-process mode.
    static var directory: String? {
        state.withLock { state in
            switch state.decision {
            case .success(let store as MmapValueStore): return store.directory.path
            case .success: return nil
            case .failure, nil: return state.enabledDirectory ?? environmentDirectory(warn: false)
            }
        }
    }

    private static func decide(enabledDirectory: String?) -> Result<any ValueStore, MultiprocessError> {
        guard let path = enabledDirectory ?? environmentDirectory(warn: true) else {
            return .success(InMemoryValueStore.shared)
        }
        do {
            let directory = try MultiprocessDirectory(path: path, forWriting: true)
            return .success(MmapValueStore(directory: directory))
        } catch {
            return .failure(error)
        }
    }

    /// The directory from the environment; present but empty counts (and is rejected later), as the
    /// presence of the variable is what selects multiprocess mode in the Python client.
    private static func environmentDirectory(warn: Bool) -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["PROMETHEUS_MULTIPROC_DIR"] {
            return path
        }
        if let path = environment["prometheus_multiproc_dir"] {
            if warn {
                let line =
                    "prometheus: prometheus_multiproc_dir is deprecated, set PROMETHEUS_MULTIPROC_DIR instead\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
            return path
        }
        return nil
    }
}
