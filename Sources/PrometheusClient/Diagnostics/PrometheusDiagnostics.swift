import PrometheusSystem
import Synchronization

/// One thing the library has to tell the application that no caller is there to receive: a file
/// the merge skipped, a worker keeping values in memory, an archive it could not write.
public struct DiagnosticMessage: Sendable, Hashable, CustomStringConvertible {
    /// The part of the library that speaks, so that a handler can route or drop by source.
    public enum Source: String, Sendable, Hashable, CaseIterable {
        /// A multiprocess worker's store (storage failures, identity claims, the sampling thread).
        case writer
        /// A multiprocess master's merge (files and entries it skipped).
        case collector
        /// Archiving dead writers and `markProcessDead`.
        case archiver
        /// Reading the multiprocess configuration from the environment.
        case configuration
        /// A background Graphite push.
        case graphite
        /// Writing an exposition (a family left out of an OpenMetrics 2.0 body it cannot be part of).
        case exposition
    }

    /// Who speaks.
    public let source: Source
    /// What happened, in one line, without the `prometheus:` prefix.
    public let text: String

    /// Makes a message.
    public init(source: Source, text: String) {
        self.source = source
        self.text = text
    }

    /// The line the default handler writes: `prometheus: <text>` (`prometheus-graphite: ...` for
    /// Graphite pushes).
    public var description: String {
        source == .graphite ? "prometheus-graphite: \(text)" : "prometheus: \(text)"
    }
}

/// Where the library's diagnostics go: the one hook every library message passes through.
///
/// By default each message is one line on standard error, written with one `write(2)` and no lock
/// (so it is safe in a child between `fork()` and `exec`). An application routes messages into its
/// own logger, or silences them, with ``setHandler(_:)``:
///
/// ```swift
/// PrometheusDiagnostics.setHandler { message in
///     if message.source != .collector { print("metrics: \(message.text)") }
/// }
/// ```
public enum PrometheusDiagnostics {
    /// Receives each message, on whatever thread produced it (a scrape, a worker's slow path, a
    /// background thread); it must not block for long.
    public typealias Handler = @Sendable (DiagnosticMessage) -> Void

    private final class Installed: Sendable {
        let handler: Handler
        init(_ handler: @escaping Handler) { self.handler = handler }
    }

    /// The address of the installed handler's box (0: the default), read with one atomic load: no
    /// lock a `fork()` could leave held.
    private static let installed = Atomic<UInt>(0)

    /// Sends every later message to `handler`; nil restores the default (one line on standard
    /// error). Replacing is rare: the previous handler is kept alive for good, since another thread
    /// may be calling it at this moment.
    public static func setHandler(_ handler: Handler?) {
        let next = handler.map { UInt(bitPattern: Unmanaged.passRetained(Installed($0)).toOpaque()) } ?? 0
        _ = installed.exchange(next, ordering: .acquiringAndReleasing)
    }

    /// The default handler: `message` as one line on standard error. A replacement handler may call
    /// it to keep the default output for some messages.
    public static func writeToStandardError(_ message: DiagnosticMessage) {
        CurrentProcess.writeToStandardError(message.description)
    }

    /// Reports `message` to the installed handler.
    package static func report(_ source: DiagnosticMessage.Source, _ text: String) {
        let message = DiagnosticMessage(source: source, text: text)
        if let raw = UnsafeRawPointer(bitPattern: installed.load(ordering: .acquiring)) {
            Unmanaged<Installed>.fromOpaque(raw).takeUnretainedValue().handler(message)
        } else {
            writeToStandardError(message)
        }
    }
}
