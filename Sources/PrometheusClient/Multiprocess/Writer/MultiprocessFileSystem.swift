import PrometheusSystem

/// The file system a multiprocess directory is on, and whether multiprocess mode can trust it.
///
/// Workers share values through `MAP_SHARED` mappings of files that every process maps at once, and
/// masters judge writers alive through OFD locks on their lease files. Both need a local file system
/// (tmpfs, ext4, xfs, btrfs, ...). This type owns the list of file systems known not to give them:
///
/// - **9p** (`v9fs`): WSL 2 mounts Windows drives (`/mnt/c`, "drvfs") over 9p, and so do many VM
///   shared folders; the Python client's documentation warns that per-process files there get wrong
///   offsets and the collector silently reads nothing.
/// - **FUSE** (sshfs, rclone, gcsfuse, s3fs, and virtiofs, which reports itself as FUSE): whether a
///   shared mapping is coherent between processes is up to the daemon, and most cache pages per
///   open file.
/// - **SMB/CIFS** and **VirtualBox shared folders** (`vboxsf`): writes through a mapping reach other
///   openers of the file late or never.
/// - **NFS**: mappings of one client are coherent through its page cache, but OFD locks are emulated
///   through the lock manager, and other clients see stale pages; refused too, since a directory
///   mounted over NFS is usually mounted by several hosts.
public struct MultiprocessFileSystem: Sendable, Hashable {
    /// `statfs(2)`'s magic number for the file system.
    public let typeIdentifier: Int

    /// The known unsafe file systems: magic number, name, and why.
    static let unsafe: [Int: (name: String, reason: String)] = [
        0x0102_1997: ("9p", "9p mounts (WSL's /mnt/c drvfs, VM shared folders) do not keep shared mappings coherent"),
        0x6573_5546: ("fuse", "FUSE file systems (sshfs, virtiofs, ...) do not keep shared mappings coherent"),
        0xFF53_4D42: ("cifs", "SMB/CIFS mounts do not keep shared mappings coherent"),
        0xFE53_4D42: ("smb2", "SMB mounts do not keep shared mappings coherent"),
        0x786F_4256: ("vboxsf", "VirtualBox shared folders do not keep shared mappings coherent"),
        0x6969: ("nfs", "NFS emulates the file locks that judge writers alive, and other hosts see stale pages"),
    ]

    /// Names of a few safe file systems, for messages and self-metrics.
    static let known: [Int: String] = [
        0x0102_1994: "tmpfs", 0xEF53: "ext4", 0x5846_5342: "xfs", 0x9123_683E: "btrfs", 0x794C_7630: "overlay",
        0x2FC1_2FC1: "zfs", 0x858_458F6: "ramfs",
    ]

    /// The file system with magic number `typeIdentifier`.
    public init(typeIdentifier: Int) {
        self.typeIdentifier = typeIdentifier
    }

    /// The file system `path` is on.
    ///
    /// - Throws: the `Errno` of `statfs(2)`.
    static func of(_ path: String) throws(Errno) -> MultiprocessFileSystem {
        MultiprocessFileSystem(typeIdentifier: try FileSystem.typeIdentifier(ofFileSystemAt: path))
    }

    /// A short name: `tmpfs`, `9p`, ..., or the magic number in hexadecimal.
    public var name: String {
        Self.unsafe[typeIdentifier]?.name ?? Self.known[typeIdentifier] ?? "0x" + String(typeIdentifier, radix: 16)
    }

    /// Why multiprocess mode cannot trust it, or nil when nothing is known against it.
    public var unsafeReason: String? {
        Self.unsafe[typeIdentifier]?.reason
    }
}

/// What to do when the multiprocess directory is on a file system multiprocess mode cannot trust
/// (``MultiprocessFileSystem``).
public enum UnsafeFileSystemPolicy: Sendable, Hashable {
    /// Refuse the directory with `MultiprocessError.unsafeFileSystem` (the default).
    case refuse
    /// Use it anyway: one warning goes to ``PrometheusDiagnostics``, and a master shows
    /// `prometheus_multiproc_unsafe_filesystem` (set `PROMETHEUS_MULTIPROC_ALLOW_UNSAFE_FILESYSTEM=1`
    /// for a directory taken from the environment).
    case warn
}
