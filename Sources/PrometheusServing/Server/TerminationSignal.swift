import PrometheusSystem

/// SIGINT and SIGTERM for a program that serves metrics until told to stop (a sidecar, a
/// benchmark server): block them before starting the server, then wait for one and stop it.
///
/// ```swift
/// TerminationSignal.block()
/// let server = try MetricsServer.start(port: 9100, registry: registry)
/// _ = TerminationSignal.wait()
/// server.stop()
/// ```
public enum TerminationSignal {
    /// Blocks SIGINT and SIGTERM in the calling thread and in every thread it starts afterwards
    /// (the server's), so that ``wait()`` takes them and no signal handler runs. Call it first.
    public static func block() {
        TerminationSignals.block()
    }

    /// Waits until SIGINT or SIGTERM arrives (after ``block()``).
    ///
    /// - Returns: the signal's number.
    public static func wait() -> Int32 {
        TerminationSignals.wait()
    }
}
