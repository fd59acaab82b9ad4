import Foundation
import PrometheusTestSupport
import Synchronization
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// The master's messages reach the replaceable diagnostics hook.
@Suite("Diagnostics: the master's messages", .serialized)
struct DiagnosticsHookTests {
    @Test("a replaced handler receives what the merge skipped, with its source, instead of stderr")
    func aReplacedHandlerReceivesTheMergesMessages() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory("diagnostics")
        defer { MultiprocessFixtures.remove(directory) }
        // A header that claims more bytes than the file has.
        var corrupt = [UInt8](repeating: 0, count: 16)
        corrupt[0] = 0xFF
        try Data(corrupt).write(to: URL(fileURLWithPath: directory + "/counter_7.db"))
        let received = Mutex<[DiagnosticMessage]>([])
        PrometheusDiagnostics.setHandler { message in received.withLock { $0.append(message) } }
        defer { PrometheusDiagnostics.setHandler(nil) }

        _ = try MultiProcessCollector(path: directory).collect()

        let mine = received.withLock { $0.filter { $0.text.contains(directory + "/counter_7.db") } }
        #expect(mine.count == 1)
        #expect(mine.first?.source == .collector)
        #expect(mine.first?.text.hasPrefix("skipping in multiprocess file") == true)
    }
}
