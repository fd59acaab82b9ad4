import Foundation
import PrometheusClient
import PrometheusSystem

/// The floor of a merge of a multiprocess directory with `pread`, the method the merge uses: what
/// any reader of these files must do, and nothing more. Descriptors are opened once (a warm master
/// keeps its files open); each round reads every file's used bytes with one `pread` (the size seen
/// at the previous round) into a kept, page-aligned buffer and adds up every entry's value. (The
/// kernel copies into a page-aligned buffer two to three times as fast as into one 16 bytes past a
/// page boundary, where a plain allocation of this size lands.)
enum MergeFloor {
    /// Median and interquartile spread of `rounds` floor rounds over the `.db` files of `directory`,
    /// in seconds; the sum is returned so that the work cannot be optimised away.
    static func measure(directory: String, rounds: Int) throws -> (median: Double, spread: Double, total: Double) {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".db") }
        let descriptors = try names.map { try FileDescriptor.open(directory + "/" + $0, .readOnly) }
        defer {
            for descriptor in descriptors { descriptor.close() }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 24, alignment: 4096)
        defer { buffer.deallocate() }
        // The used size each file had at the previous round: a warm reader asks for that much.
        var lastUsed = [Int](repeating: DBFileLayout.headerSize, count: descriptors.count)
        var total = 0.0
        var times: [Double] = []
        for _ in 0...rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            for index in descriptors.indices {
                total += readAndAdd(descriptors[index], expecting: &lastUsed[index], buffer: buffer)
            }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.removeFirst()  // the first round learns the sizes
        times.sort()
        return (times[times.count / 2], times[times.count * 3 / 4] - times[times.count / 4], total)
    }

    /// One `pread` of the file's used bytes as last seen (a second one for what it has grown by),
    /// then the sum of its entries' values, walked by the format's owner.
    private static func readAndAdd(
        _ descriptor: FileDescriptor, expecting used: inout Int, buffer bytes: UnsafeMutableRawBufferPointer
    ) -> Double {
        var sum = 0.0
        let first = UnsafeMutableRawBufferPointer(rebasing: bytes[0..<min(used, bytes.count)])
        guard var count = try? descriptor.read(fromAbsoluteOffset: 0, into: first),
            count >= DBFileLayout.headerSize
        else { return 0 }
        let now = min(Int(bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)), bytes.count)
        if now > count {
            let rest = UnsafeMutableRawBufferPointer(rebasing: bytes[count..<now])
            count += (try? descriptor.read(fromAbsoluteOffset: count, into: rest)) ?? 0
        }
        used = now
        let window = UnsafeRawBufferPointer(rebasing: bytes[0..<Swift.min(now, count)])
        try? DBFileLayout.forEachEntry(in: window, used: window.count) { entry in
            sum += window.loadUnaligned(fromByteOffset: entry.valueOffset, as: Double.self)
        }
        return sum
    }
}
