import Synchronization

/// Chooses, once per process, the value store that new metrics write to.
///
/// In order: the directory given to ``Multiprocess/enable(directory:)``, then the process
/// configuration's (``PrometheusConfiguration/multiprocessDirectory``: `PROMETHEUS_MULTIPROC_DIR` or
/// the deprecated `prometheus_multiproc_dir`); with none of them, the in-memory store. The choice is made by the first call of
/// ``current()`` (the first metric created) and never changes afterwards.
enum ActiveValueStore {
    private struct State {
        var enabledDirectory: String?
        var chosenStore: (any ValueStore)?
        var failure: MultiprocessError?
    }

    // Built with the memberwise initializer on purpose: with `State()` Swift 6.3's optimizer
    // initialises this static Mutex wrongly in release builds (the optionals read as non-nil).
    private static let state = Mutex(State(enabledDirectory: nil, chosenStore: nil, failure: nil))

    /// The store new metrics should use.
    ///
    /// - Throws: `MultiprocessError.invalidDirectory` when the configured multiprocess directory is
    ///   empty, missing, not a directory or not writable (the same error on every call).
    static func current() throws(MultiprocessError) -> any ValueStore {
        let (store, failure) = state.withLock { state in
            if state.chosenStore == nil && state.failure == nil {
                switch decide(enabledDirectory: state.enabledDirectory) {
                case .success(let store): state.chosenStore = store
                case .failure(let error): state.failure = error
                }
            }
            return (state.chosenStore, state.failure)
        }
        if let failure { throw failure }
        return store!
    }

    /// Records the directory of ``Multiprocess/enable(directory:)``.
    ///
    /// - Throws: `MultiprocessError.configuredTooLate` when a store was already chosen for another
    ///   directory or for in-memory values; `MultiprocessError.invalidDirectory` for an unusable
    ///   directory.
    static func enable(directory: String, identity: WriterIdentity = .processID) throws(MultiprocessError) {
        let validated = try MultiprocessDirectory(path: directory, forWriting: true)
        let failure: MultiprocessError? = state.withLock { state in
            guard state.chosenStore != nil || state.failure != nil else {
                state.enabledDirectory = validated.path
                if identity != .processID {
                    // Chosen now, so that a taken identity is an error at start-up.
                    let store = MmapValueStore(directory: validated, identity: identity)
                    do throws(MultiprocessError) {
                        try store.claimStableIdentity()
                    } catch {
                        return error
                    }
                    state.chosenStore = store
                }
                return nil
            }
            guard let chosenDirectory = state.chosenStore?.sharedDirectory else {
                return .configuredTooLate(
                    "metrics were already created in single-process mode; call Multiprocess.enable(directory:) first")
            }
            guard chosenDirectory == validated.path else {
                return .configuredTooLate(
                    "metrics already write to \"\(chosenDirectory)\"; enable \"\(directory)\" before creating any")
            }
            return nil
        }
        if let failure { throw failure }
    }

    /// The multiprocess directory in use or configured, or `nil` in single-process mode.
    static var directory: String? {
        state.withLock { state in
            if let chosen = state.chosenStore {
                return chosen.sharedDirectory
            }
            return state.enabledDirectory ?? PrometheusConfiguration.process.multiprocessDirectory
        }
    }

    private static func decide(enabledDirectory: String?) -> Result<any ValueStore, MultiprocessError> {
        guard let path = enabledDirectory ?? PrometheusConfiguration.process.multiprocessDirectory else {
            return .success(InMemoryValueStore.shared)
        }
        do {
            let directory = try MultiprocessDirectory(path: path, forWriting: true)
            return .success(MmapValueStore(directory: directory))
        } catch {
            return .failure(error)
        }
    }

}
