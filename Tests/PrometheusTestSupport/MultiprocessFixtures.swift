import Foundation
import Glibc
import Testing

@testable import PrometheusClient

/// Shared helpers for the multiprocess writer tests: temporary directories, small tmpfs mounts, a
/// plain `.db` reader, and Python scripts that write or merge the same metrics.
package enum MultiprocessFixtures {
    /// A fresh empty directory under the system temporary directory.
    package static func temporaryDirectory(_ label: String = "mp") throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    package static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Mounts a tmpfs of `size` bytes (options such as `ro` appended) on a new directory, or returns
    /// `nil` when this machine does not allow mounting.
    package static func mountTmpfs(size: Int, extraOptions: String = "") throws -> String? {
        let mountPoint = try temporaryDirectory("mp-tmpfs")
        let options = "size=\(size)" + (extraOptions.isEmpty ? "" : ",\(extraOptions)")
        guard let mount = ExternalTool.path(of: "mount"),
            let result = try? ExternalTool.run(mount, ["-t", "tmpfs", "-o", options, "tmpfs", mountPoint]),
            result.status == 0
        else {
            remove(mountPoint)
            return nil
        }
        return mountPoint
    }

    /// Unmounts a tmpfs from ``mountTmpfs(size:extraOptions:)`` and removes its mount point.
    ///
    /// A store's healing thread may hold the store, and so its mappings, for a moment after a test
    /// lets go of it, which makes the unmount fail with `EBUSY`: it is retried for up to 5 s, then
    /// done lazily, so that no run leaves a mount behind. A test whose store stays alive (series
    /// stranded on a disk that stays full keep it) says so, and is unmounted lazily at once.
    package static func unmount(_ mountPoint: String, storeOutlivesTest: Bool = false) {
        defer { remove(mountPoint) }
        guard let umount = ExternalTool.path(of: "umount") else { return }
        for _ in 0..<(storeOutlivesTest ? 0 : 250) {
            if (try? ExternalTool.run(umount, [mountPoint]))?.status == 0 { return }
            usleep(20_000)
        }
        _ = try? ExternalTool.run(umount, ["-l", mountPoint])
    }

    /// Fills the file system of `directory` with a file named `filler` until no byte fits.
    package static func fill(_ directory: String) {
        let path = directory + "/filler"
        let descriptor = open(path, O_CREAT | O_WRONLY, 0o644)
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 1, count: 4096)
        while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress!, $0.count) }) > 0 {}
        var byte: UInt8 = 1
        while write(descriptor, &byte, 1) == 1 {}
    }

    /// Frees what ``fill(_:)`` took.
    package static func unfill(_ directory: String) {
        unlink(directory + "/filler")
    }

    /// The names in `directory` that do not start with a dot (the lock file does), sorted.
    package static func names(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// One entry of a `.db` file as a reader sees it.
    package struct Entry: Equatable {
        package var key: String
        package var value: Double
        package var timestamp: Double
    }

    /// Reads the entries below `used` (the same walk as Python's reader), throwing on corruption.
    /// A file that a live writer grows between the read's size and its bytes is read again: the
    /// header read last may publish more than the bytes read (the library's reader reads the header
    /// first and the size after, so it never sees this).
    package static func entries(ofFile path: String) throws -> [Entry] {
        var attempt = 0
        while true {
            attempt += 1
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            if attempt < 5, bytes.count >= 8, Int(readInt32(bytes, 0)) > bytes.count,
                (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 > bytes.count
            {
                continue
            }
            return try entries(of: bytes)
        }
    }

    package struct CorruptFile: Error {
        package var reason: String
    }

    package static func entries(of bytes: [UInt8]) throws -> [Entry] {
        guard bytes.count >= 8 else { throw CorruptFile(reason: "only \(bytes.count) bytes") }
        let used = Int(readInt32(bytes, 0))
        guard used >= 8, used <= bytes.count else { throw CorruptFile(reason: "used \(used)") }
        var result: [Entry] = []
        var offset = 8
        while offset < used {
            let keyLength = Int(readInt32(bytes, offset))
            let size = DBFileLayout.entrySize(forKeyLength: keyLength)
            guard keyLength >= 0, offset + size <= used else { throw CorruptFile(reason: "entry at \(offset)") }
            let key = String(decoding: bytes[(offset + 4)..<(offset + 4 + keyLength)], as: UTF8.self)
            let valueOffset = DBFileLayout.valueOffset(entryOffset: offset, keyLength: keyLength)
            result.append(
                Entry(key: key, value: readDouble(bytes, valueOffset), timestamp: readDouble(bytes, valueOffset + 8)))
            offset += size
        }
        return result
    }

    /// The file's bytes with every entry's timestamp zeroed, for comparing files written at
    /// different times.
    package static func bytesWithoutTimestamps(ofFile path: String) throws -> [UInt8] {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let used = Int(readInt32(bytes, 0))
        var offset = 8
        while offset < used {
            let keyLength = Int(readInt32(bytes, offset))
            let timestampOffset = DBFileLayout.valueOffset(entryOffset: offset, keyLength: keyLength) + 8
            bytes.replaceSubrange(timestampOffset..<(timestampOffset + 8), with: repeatElement(0, count: 8))
            offset += DBFileLayout.entrySize(forKeyLength: keyLength)
        }
        return bytes
    }

    /// Where two files' bytes first differ (`nil` when equal), short enough to read in a failure.
    package static func firstDifference(_ ours: [UInt8], _ theirs: [UInt8]) -> String? {
        if let index = (0..<min(ours.count, theirs.count)).first(where: { ours[$0] != theirs[$0] }) {
            let ourContext = String(decoding: ours[max(0, index - 16)..<min(ours.count, index + 16)], as: UTF8.self)
            let theirContext = String(
                decoding: theirs[max(0, index - 16)..<min(theirs.count, index + 16)], as: UTF8.self)
            return "offset \(index): ours \(ours[index]) (…\(ourContext)…), Python \(theirs[index]) (…\(theirContext)…)"
        }
        return ours.count == theirs.count ? nil : "sizes differ: ours \(ours.count), Python \(theirs.count)"
    }

    private static func readInt32(_ bytes: [UInt8], _ offset: Int) -> Int32 {
        var value: Int32 = 0
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes[offset..<(offset + 4)]) }
        return Int32(littleEndian: value)
    }

    private static func readDouble(_ bytes: [UInt8], _ offset: Int) -> Double {
        var bits: UInt64 = 0
        withUnsafeMutableBytes(of: &bits) { $0.copyBytes(from: bytes[offset..<(offset + 8)]) }
        return Double(bitPattern: UInt64(littleEndian: bits))
    }

    /// Runs Python's `MultiProcessCollector` on `directory` and returns every sample as
    /// `name` + its labels as sorted JSON (see ``sampleKey(_:_:)``) → value.
    package static func pythonMerge(_ directory: String) throws -> [String: Double] {
        let script = """
            import json, sys
            from prometheus_client import CollectorRegistry
            from prometheus_client.multiprocess import MultiProcessCollector
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=sys.argv[1])
            for family in registry.collect():
                for s in family.samples:
                    print("%s%s\\t%r" % (s.name, json.dumps(s.labels, sort_keys=True), s.value))
            """
        let output = try ExternalTool.runPython(script, arguments: [directory])
        var samples: [String: Double] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            samples[String(parts[0])] = Double(String(parts[1]))
        }
        return samples
    }

    /// The key ``pythonMerge(_:)`` uses for a sample.
    package static func sampleKey(_ name: String, _ labels: [Label] = []) -> String {
        let key = String(
            decoding: DBKey.encode(familyName: "", sampleName: "", labels: labels, help: ""), as: UTF8.self)
        return name + key.dropFirst(#"["", "", "#.count).dropLast(#", ""]"#.count)
    }

    package static func descriptor(
        _ kind: StorageKind, _ family: String, help: String = "help", labels: [Label] = [],
        slots: [(String, Label?)]
    ) -> SeriesDescriptor {
        SeriesDescriptor(
            kind: kind, familyName: family, help: help, labels: labels,
            slotTemplates: slots.map { SeriesDescriptor.SlotTemplate(sampleName: $0.0, extraLabel: $0.1) })
    }

    package static func counter(_ family: String, help: String = "help", labels: [Label] = []) -> SeriesDescriptor {
        descriptor(.counter, family, help: help, labels: labels, slots: [(family + "_total", nil)])
    }

    package static func gauge(
        _ family: String, mode: MultiprocessMode = .all, help: String = "help", labels: [Label] = []
    ) -> SeriesDescriptor {
        descriptor(.gauge(mode), family, help: help, labels: labels, slots: [(family, nil)])
    }
}

extension MultiprocessFixtures {
    /// Writes, as Python worker `pid`, one of every metric type and one gauge per mode.
    package static func writeWithPython(pid: Int, to directory: String) throws {
        let script = """
            import sys
            from prometheus_client import values
            pid = sys.argv[1]
            values.ValueClass = values.MultiProcessValue(process_identifier=lambda: pid)
            from prometheus_client import Counter, Gauge, Histogram, Summary
            n = int(pid)
            c = Counter('requests', 'Requests "quoted" \\\\ back\\nslash', ['path'], registry=None)
            c.labels('/a').inc(n)
            c.labels('ü/😀 "q"\\n\\\\ \\x01').inc(0.5)
            h = Histogram('latency_seconds', 'Latency.', ['path'], buckets=[0.1, 1, 5], registry=None)
            h.labels('/a').observe(0.05 * n)
            h.labels('/a').observe(2)
            s = Summary('size_bytes', 'Size.', registry=None)
            s.observe(n)
            for mode in \(MultiprocessMode.allCases.map(\.rawValue)):
                g = Gauge('g_' + mode, 'Gauge ' + mode, ['k'], multiprocess_mode=mode, registry=None)
                g.labels('x').set(n * 1.5)
                if 'mostrecent' not in mode:
                    g.labels('y').inc(n)
            """
        _ = try ExternalTool.runPython(
            script, arguments: [String(pid)], environment: ["PROMETHEUS_MULTIPROC_DIR": directory])
    }
}
