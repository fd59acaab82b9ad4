import Foundation
import PrometheusClient

/// Sends metrics to Graphite over its plaintext protocol, like Python's `GraphiteBridge`.
///
/// ```swift
/// let bridge = GraphiteBridge(host: "graphite.local", registry: registry)   // or collect: { ... }
/// try bridge.push(prefix: "app.web1")          // once
/// let pusher = try bridge.start(interval: .seconds(60), prefix: "app.web1")   // periodically
/// ...
/// pusher.stop()
/// ```
///
/// Each push opens one TCP connection, sends every line (see ``GraphiteFormatter`` for the format)
/// and closes it, so a receiver that restarts between pushes is simply reconnected to on the next
/// one.
public struct GraphiteBridge: Sendable {
    /// The receiver's host name or IP address.
    public var host: String
    /// The receiver's plaintext port (carbon's default is 2003).
    public var port: Int
    /// How long one push (connect and send) may take.
    public var timeout: Duration
    /// Whether labels are sent as Graphite tags (`;key=value`) instead of path parts (`.key.value`).
    public var tags: Bool
    private let source: @Sendable () -> (families: [MetricFamily], failures: [String])
    private let clock: @Sendable () -> Double

    /// Creates a bridge that sends whatever `collect` returns.
    ///
    /// When `collect` throws, the push sends nothing and reports
    /// ``GraphiteError/collectionFailed(_:)``.
    public init(
        host: String,
        port: Int = 2003,
        timeout: Duration = .seconds(30),
        tags: Bool = false,
        collect: @escaping @Sendable () throws -> [MetricFamily]
    ) {
        let source: @Sendable () -> (families: [MetricFamily], failures: [String]) = {
            do {
                return (try collect(), [])
            } catch {
                return ([], [String(describing: error)])
            }
        }
        self.init(
            host: host, port: port, timeout: timeout, tags: tags, clock: { Date().timeIntervalSince1970 },
            source: source)
    }

    /// Creates a bridge that sends the families of `registry` (Python's
    /// `GraphiteBridge(address, registry=...)`). When a collector of the registry fails, the others'
    /// families are sent and the push reports ``GraphiteError/collectionFailed(_:)``.
    public init(
        host: String,
        port: Int = 2003,
        timeout: Duration = .seconds(30),
        tags: Bool = false,
        registry: CollectorRegistry = .default
    ) {
        self.init(
            host: host, port: port, timeout: timeout, tags: tags, clock: { Date().timeIntervalSince1970 },
            source: {
                let result = registry.collect()
                return (result.families, result.failures.map(\.description))
            })
    }

    /// Creates a bridge with the raw collection source and a wall clock (for tests).
    init(
        host: String,
        port: Int,
        timeout: Duration,
        tags: Bool,
        clock: @escaping @Sendable () -> Double,
        source: @escaping @Sendable () -> (families: [MetricFamily], failures: [String])
    ) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.tags = tags
        self.clock = clock
        self.source = source
    }

    /// Collects and sends every sample once, all lines stamped with the current time.
    ///
    /// - Throws: ``GraphiteError`` when the prefix is invalid, the receiver cannot be reached or the
    ///   send fails or times out; ``GraphiteError/collectionFailed(_:)`` after sending the families
    ///   that could be collected, when some collector failed.
    public func push(prefix: String = "") throws(GraphiteError) {
        try push(prefix: prefix, shouldAbort: { false })
    }

    /// Sends `families` once, all lines stamped with the current time.
    ///
    /// - Throws: ``GraphiteError`` when the prefix is invalid, the receiver cannot be reached or the
    ///   send fails or times out.
    public func push(_ families: [MetricFamily], prefix: String = "") throws(GraphiteError) {
        try send(families, prefix: prefix, shouldAbort: { false })
    }

    /// Starts a background thread that pushes at once and then every `interval`, until the returned
    /// pusher is stopped or released.
    ///
    /// Ticks follow a monotonic clock; a push that overruns skips the ticks it missed rather than
    /// bursting. Failures (the receiver is down, a collector failed) go to `onError` and the pusher
    /// keeps going; by default they are written to standard error.
    ///
    /// - Throws: ``GraphiteError/invalidInterval(_:)`` for a zero or negative interval and
    ///   ``GraphiteError/invalidPrefix(_:reason:)`` for a prefix that would break the protocol.
    public func start(
        interval: Duration = .seconds(60),
        prefix: String = "",
        onError: @escaping @Sendable (GraphiteError) -> Void = GraphitePusher.logToStandardError
    ) throws(GraphiteError) -> GraphitePusher {
        guard interval > .zero else {
            throw .invalidInterval("the interval must be positive, got \(interval)")
        }
        try GraphiteFormatter.validatePrefix(prefix)
        return GraphitePusher(bridge: self, interval: interval, prefix: prefix, onError: onError)
    }

    func push(prefix: String, shouldAbort: () -> Bool) throws(GraphiteError) {
        try GraphiteFormatter.validatePrefix(prefix)
        let collected = source()
        try send(collected.families, prefix: prefix, shouldAbort: shouldAbort)
        if !collected.failures.isEmpty {
            throw .collectionFailed(collected.failures.joined(separator: "; "))
        }
    }

    private func send(_ families: [MetricFamily], prefix: String, shouldAbort: () -> Bool) throws(GraphiteError) {
        let now = Int64(clock().rounded(.down))
        let text = try GraphiteFormatter.lines(for: families, prefix: prefix, tags: tags, timestamp: now)
        guard !text.isEmpty else {
            return
        }
        try GraphiteConnection(host: host, port: port, timeout: timeout).transmit(
            Array(text.utf8), shouldAbort: shouldAbort)
    }
}
