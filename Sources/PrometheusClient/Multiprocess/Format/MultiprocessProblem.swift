/// A file or entry of a multiprocess directory that a reader skipped, and why: what a master counts
/// in its self-metrics and logs once.
package struct MultiprocessProblem: Equatable, Sendable {
    /// The file, or the file an entry is in.
    package var path: String
    /// What is wrong, for the log line.
    package var reason: String

    package init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}
