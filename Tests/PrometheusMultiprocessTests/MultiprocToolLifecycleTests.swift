import Foundation
import Glibc
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// `prometheus-multiproc status`, `reap` and `merge` on a directory with a live and a killed writer.
@Suite("prometheus-multiproc: status, reap, merge with liveness")
struct MultiprocToolLifecycleTests {
    @Test(
        "status names each writer alive or dead and why; merge leaves the dead one's live gauges out; reap archives it")
    func statusMergeAndReap() throws {
        let directory = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        let survivor = try LifecycleTests.HeldWriter(directory)
        defer { survivor.stop() }
        let victim = try LifecycleTests.HeldWriter(directory)
        victim.kill()
        let status = try MultiprocToolTests.run(["status", directory])
        #expect(status.status == 0)
        #expect(status.standardOutput.contains("\(survivor.pid)\talive\tholds its lease\t5\t"))
        #expect(status.standardOutput.contains("\(victim.pid)\tdead\tits lease was released (the process ended)\t5\t"))
        let merged = try MultiprocToolTests.run(["merge", directory])
        #expect(merged.standardOutput.contains("mp_hold_busy 1.0\n"))
        #expect(merged.standardOutput.contains("mp_hold_total 2.0\n"))
        #expect(!merged.standardOutput.contains("pid=\"\(victim.pid)\""))
        let python = try MultiprocToolTests.run(["merge", directory, "--no-liveness"])
        #expect(python.standardOutput.contains("mp_hold_busy 2.0\n"))
        let reaped = try MultiprocToolTests.run(["reap", directory])
        #expect(reaped.standardOutput == "archived 1 dead writers: \(victim.pid)\n")
        #expect(!(try MultiprocessFixtures.names(directory).contains { $0.contains("_\(victim.pid)") }))
        #expect(try MultiprocToolTests.run(["merge", directory]).standardOutput.contains("mp_hold_total 2.0\n"))
    }
}
