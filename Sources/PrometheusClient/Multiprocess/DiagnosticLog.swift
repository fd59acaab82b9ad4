import Glibc

/// One-line diagnostics on standard error, written with a single `write(2)` so that lines from
/// several processes sharing the stream do not interleave, and without locks (safe after `fork()`).
enum DiagnosticLog {
    /// Writes `prometheus: <message>` and a newline.
    static func write(_ message: String) {
        let line = "prometheus: " + message + "\n"
        _ = line.withCString { Glibc.write(STDERR_FILENO, $0, strlen($0)) }
    }
}
