import Foundation
import PrometheusTestSupport
import Synchronization
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// A multiprocess directory on a file system whose shared mappings or locks cannot be trusted (9p
/// under WSL's /mnt/c, FUSE, SMB, NFS) is refused with a typed error, or used with a warning and a
/// self-metric when the user insists. File systems CI cannot mount are simulated.
@Suite("Multiprocess directory: unsafe file systems", .serialized)
struct UnsafeFileSystemTests {
    static let ninePee = MultiprocessFileSystem(typeIdentifier: 0x0102_1997)

    @Test(
        "the file systems known to break shared mappings or locks are unsafe; local ones are not",
        arguments: [
            (0x0102_1997, "9p", true), (0x6573_5546, "fuse", true), (0xFF53_4D42, "cifs", true),
            (0x6969, "nfs", true), (0x0102_1994, "tmpfs", false), (0xEF53, "ext4", false), (0x1234, "0x1234", false),
        ])
    func unsafeFileSystemsAreKnownByTheirMagicNumber(identifier: Int, name: String, isUnsafe: Bool) {
        let fileSystem = MultiprocessFileSystem(typeIdentifier: identifier)
        #expect(fileSystem.name == name)
        #expect((fileSystem.unsafeReason != nil) == isUnsafe)
    }

    @Test("a directory on a real tmpfs is judged by statfs and accepted")
    func aRealTmpfsIsAccepted() throws {
        guard let mountPoint = try MultiprocessFixtures.mountTmpfs(size: 1 << 20) else {
            try ExternalTool.unavailable("permission to mount a tmpfs (to check what statfs reports)")
        }
        defer { MultiprocessFixtures.unmount(mountPoint) }
        let directory = try MultiprocessDirectory(path: mountPoint, forWriting: true)
        #expect(directory.fileSystem.name == "tmpfs")
    }

    @Test("a directory on 9p is refused with an error that names the file system and the way out")
    func ninePIsRefused() throws {
        let path = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(path) }
        do {
            _ = try MultiprocessDirectory(
                path: path, forWriting: true, unsafeFileSystems: .refuse, fileSystem: Self.ninePee)
            Issue.record("a directory on 9p was accepted")
        } catch {
            guard case .unsafeFileSystem(let refused, let fileSystem, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(refused == path)
            #expect(fileSystem == "9p")
            #expect("\(error)".contains("PROMETHEUS_MULTIPROC_ALLOW_UNSAFE_FILESYSTEM"))
        }
    }

    @Test("used anyway, the directory warns once through the hook and the master shows it in a self-metric")
    func usedAnywayItWarnsAndTheMasterShowsIt() throws {
        let path = try MultiprocessFixtures.temporaryDirectory()
        defer { MultiprocessFixtures.remove(path) }
        let received = Mutex<[DiagnosticMessage]>([])
        PrometheusDiagnostics.setHandler { message in received.withLock { $0.append(message) } }
        defer { PrometheusDiagnostics.setHandler(nil) }
        let directory = try MultiprocessDirectory(
            path: path, forWriting: false, unsafeFileSystems: .warn, fileSystem: Self.ninePee)
        #expect(received.withLock { $0.filter { $0.text.contains("is on 9p") }.count } == 1)
        let families = try MultiProcessCollector(directory: directory, lifecycle: .manual).collect()
        let family = try #require(families.first { $0.name == MultiProcessCollector.unsafeFileSystemFamily })
        #expect(family.samples.map(\.labels) == [[Label("filesystem", "9p")]])
        #expect(family.samples.map(\.value) == [1])
    }

    @Test("the environment switch that allows an unsafe file system is read into the configuration")
    func theConfigurationReadsTheSwitch() {
        #expect(!PrometheusConfiguration(environment: [:]).allowsUnsafeFileSystem)
        #expect(
            PrometheusConfiguration(environment: ["PROMETHEUS_MULTIPROC_ALLOW_UNSAFE_FILESYSTEM": "1"])
                .allowsUnsafeFileSystem)
    }
}
