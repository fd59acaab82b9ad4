import Dispatch
import Foundation
import PrometheusClient
import Synchronization

/// A background thread that pushes a ``GraphiteBridge`` periodically; made by
/// ``GraphiteBridge/start(interval:prefix:onError:)``.
///
/// Keep a reference for as long as pushes should happen: releasing the pusher stops it (without
/// waiting), ``stop(timeout:)`` stops it and waits for the thread to finish.
public final class GraphitePusher: Sendable {
    private final class State: Sendable {
        let stopping = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let isFinished = Atomic<Bool>(false)
        let pushes = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
    }

    private let state = State()

    init(
        bridge: GraphiteBridge,
        interval: Duration,
        prefix: String,
        onError: @escaping @Sendable (GraphiteError) -> Void
    ) {
        let state = self.state
        let thread = Thread {
            Self.run(state: state, bridge: bridge, interval: interval, prefix: prefix, onError: onError)
        }
        thread.name = "prometheus-graphite"
        thread.start()
    }

    deinit {
        requestStop()
    }

    /// How many pushes have been attempted so far (successful or not).
    public var attemptedPushes: Int {
        state.pushes.load(ordering: .relaxed)
    }

    /// How many of those pushes failed.
    public var failedPushes: Int {
        state.failures.load(ordering: .relaxed)
    }

    /// Whether the background thread has ended.
    public var isStopped: Bool {
        state.isFinished.load(ordering: .acquiring)
    }

    /// Stops pushing and waits up to `timeout` for the thread to end. A push in progress is abandoned
    /// within about 50 ms (its connection is closed), so the default wait is ample.
    ///
    /// - Returns: `true` when the thread ended within `timeout`.
    @discardableResult
    public func stop(timeout: Duration = .seconds(5)) -> Bool {
        requestStop()
        if state.isFinished.load(ordering: .acquiring) {
            return true
        }
        let nanoseconds = Int(GraphiteConnection.seconds(timeout) * 1e9)
        guard state.finished.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success else {
            return false
        }
        // Leave the signal for any other caller of stop().
        state.finished.signal()
        return true
    }

    /// Reports the error through ``PrometheusDiagnostics`` (by default one line on standard error):
    /// the default `onError` of ``GraphiteBridge/start(interval:prefix:onError:)``.
    public static func logToStandardError(_ error: GraphiteError) {
        PrometheusDiagnostics.report(.graphite, "push failed: \(error)")
    }

    private func requestStop() {
        if !state.stopping.exchange(true, ordering: .acquiringAndReleasing) {
            state.wake.signal()
        }
    }

    private static func run(
        state: State,
        bridge: GraphiteBridge,
        interval: Duration,
        prefix: String,
        onError: @Sendable (GraphiteError) -> Void
    ) {
        let clock = ContinuousClock()
        var next = clock.now
        while !state.stopping.load(ordering: .acquiring) {
            state.pushes.add(1, ordering: .relaxed)
            do throws(GraphiteError) {
                try bridge.push(prefix: prefix, shouldAbort: { state.stopping.load(ordering: .relaxed) })
            } catch .stopped {
                break
            } catch {
                state.failures.add(1, ordering: .relaxed)
                onError(error)
            }
            // Skip the ticks a slow push overran instead of pushing several times in a row.
            let now = clock.now
            next += interval
            if next <= now {
                let missed = ((now - next) / interval).rounded(.down) + 1
                next += interval * missed
            }
            let wait = next - now
            let nanoseconds = Int(GraphiteConnection.seconds(wait) * 1e9)
            if state.wake.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success {
                break
            }
        }
        state.isFinished.store(true, ordering: .releasing)
        state.finished.signal()
    }
}
