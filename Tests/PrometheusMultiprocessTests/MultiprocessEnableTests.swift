import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

@Suite("Multiprocess mode: switching it on")
struct MultiprocessEnableTests {
    typealias Fixtures = MultiprocessFixtures

    private func reason(of body: () throws(MultiprocessError) -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            if case .invalidDirectory(_, let reason) = error {
                return reason
            }
            return "unexpected: \(error)"
        }
    }

    @Test("an empty directory setting is an error, not the current directory")
    func emptyDirectoryIsRejected() {
        #expect(
            reason { () throws(MultiprocessError) in try Multiprocess.enable(directory: "") }?.contains("empty") == true
        )
    }

    @Test("a missing directory is an error naming the path")
    func missingDirectoryIsRejected() throws {
        let path = "/nonexistent-\(UUID().uuidString)/metrics"
        do {
            try Multiprocess.enable(directory: path)
            Issue.record("enable accepted a missing directory")
        } catch {
            #expect(error.description.contains(path))
            #expect(error.description.contains("does not exist"))
        }
    }

    @Test("a regular file is not accepted as the directory")
    func fileIsRejected() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let file = "\(directory)/plain"
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        #expect(
            reason { () throws(MultiprocessError) in try Multiprocess.enable(directory: file) }
                == "it is not a directory")
    }

    @Test("a directory that cannot be written is rejected before any metric is created")
    func readOnlyDirectoryIsRejected() throws {
        guard let mountPoint = try Fixtures.mountTmpfs(size: 64 * 1024, extraOptions: "ro") else {
            try ExternalTool.unavailable("permission to mount a read-only tmpfs (root ignores directory modes)")
        }
        defer { Fixtures.unmount(mountPoint) }
        let found = reason { () throws(MultiprocessError) in try Multiprocess.enable(directory: mountPoint) }
        #expect(found?.contains("not writable") == true, "\(found ?? "accepted")")
    }

    @Test("enabling after a metric chose the in-memory store is a configuredTooLate error")
    func enablingTooLateIsRejected() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let store = try ActiveValueStore.current()
        guard !store.isMultiprocess else {
            try ExternalTool.unavailable("a test process without PROMETHEUS_MULTIPROC_DIR")
        }
        #expect(Multiprocess.directory == nil)
        do {
            try Multiprocess.enable(directory: directory)
            Issue.record("enable succeeded after the store was chosen")
        } catch {
            guard case .configuredTooLate = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(error.description.contains("before"))
        }
    }
}
