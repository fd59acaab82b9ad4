import Foundation
import PrometheusClient
import PrometheusMultiprocess
import PrometheusSystem

/// The floors of two methods the merge does not use, measured beside ``MergeFloor`` (the `pread`
/// floor) so that the choice of method rests on figures from the same run:
///
/// - **mapped**: every file mapped once; each round reads each file's header and adds up its
///   entries' values straight from the mapping. Nothing cheaper reads these files, but a file
///   truncated under the mapping kills the reader with `SIGBUS`.
/// - **batched copy**: the same mappings, copied out with one `process_vm_readv` per batch of files
///   (`BatchedCopyPolicy`: as many files and bytes as the merge's batches) into a kept buffer, then
///   walked. A page past a file's end
///   makes the call return short instead of raising a signal, so this one is safe.
///
/// - **chosen**: what the merge does: files of up to `BatchedCopyPolicy.fileLimit` used bytes by
///   batched copy, larger ones with one `pread` each. The floor the merge is judged against.
///
/// All are medians and interquartile spreads in seconds, of `rounds` rounds after one that maps.
enum MappedFloors {
    struct Floors {
        var mapped: (median: Double, spread: Double)
        var batchedCopy: (median: Double, spread: Double)
        var chosen: (median: Double, spread: Double)
        /// The sum of every value read, so that the work cannot be optimised away.
        var total: Double
    }

    private static let batchBytes = BatchedCopyPolicy.batchBytes

    static func measure(directory: String, rounds: Int) throws -> Floors {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".db") }
        var mappings: [ReadOnlyFileMapping] = []
        var descriptors: [FileDescriptor] = []
        defer {
            for mapping in mappings { mapping.release() }
            for descriptor in descriptors { descriptor.close() }
        }
        for name in names {
            let descriptor = try FileDescriptor.open(directory + "/" + name, .readOnly)
            let size = try descriptor.status().size
            guard size > 0 else {
                descriptor.close()
                continue
            }
            descriptors.append(descriptor)
            mappings.append(try ReadOnlyFileMapping(descriptor, length: size))
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 24, alignment: 4096)
        defer { buffer.deallocate() }
        var total = 0.0
        let mapped = try timed(rounds: rounds) {
            for mapping in mappings { total += addValues(in: mapping.bytes) }
        }
        let used = mappings.map { usedBytes(of: $0.bytes) }
        let batch = OwnMemoryBatch()
        let batched = try timed(rounds: rounds) {
            total += try copyInBatches(mappings, used: used, through: buffer, batch: batch)
        }
        let small = used.indices.filter { used[$0] <= BatchedCopyPolicy.fileLimit }
        let large = used.indices.filter { used[$0] > BatchedCopyPolicy.fileLimit }
        let (smallMappings, smallUsed) = (small.map { mappings[$0] }, small.map { used[$0] })
        let chosen = try timed(rounds: rounds) {
            total += try copyInBatches(smallMappings, used: smallUsed, through: buffer, batch: batch)
            for index in large {
                let count = try descriptors[index].read(
                    fromAbsoluteOffset: 0, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<used[index]]))
                total += addValues(in: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            }
        }
        return Floors(mapped: mapped, batchedCopy: batched, chosen: chosen, total: total)
    }

    /// Copies the files in batches through `buffer` and adds up each batch's values.
    private static func copyInBatches(
        _ mappings: [ReadOnlyFileMapping], used: [Int], through buffer: UnsafeMutableRawBufferPointer,
        batch: OwnMemoryBatch
    ) throws -> Double {
        var total = 0.0
        var index = 0
        while index < mappings.count {
            batch.removeAll()
            let first = index
            while index < mappings.count, batch.count < BatchedCopyPolicy.filesPerBatch,
                batch.count == 0 || batch.byteCount + used[index] <= batchBytes
            {
                let count = min(used[index], buffer.count - batch.byteCount)
                batch.append(
                    from: UnsafeRawBufferPointer(rebasing: mappings[index].bytes[0..<count]),
                    to: buffer.baseAddress! + batch.byteCount)
                index += 1
            }
            let copied = try batch.copy()
            precondition(copied == batch.byteCount, "a benchmark file shrank while it was read")
            var offset = 0
            for file in first..<index {
                let count = min(used[file], buffer.count - offset)
                total += addValues(in: UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)]))
                offset += count
            }
        }
        return total
    }

    /// The used bytes a file's header claims, within the bytes at hand.
    private static func usedBytes(of bytes: UnsafeRawBufferPointer) -> Int {
        guard bytes.count >= DBFileLayout.headerSize else { return 0 }
        return min(Int(bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)), bytes.count)
    }

    /// The sum of the values of the entries in `bytes` (a file's first bytes), walked by the format's
    /// owner.
    private static func addValues(in bytes: UnsafeRawBufferPointer) -> Double {
        let window = UnsafeRawBufferPointer(rebasing: bytes[0..<usedBytes(of: bytes)])
        var sum = 0.0
        try? DBFileLayout.forEachEntry(in: window, used: window.count) { entry in
            sum += window.loadUnaligned(fromByteOffset: entry.valueOffset, as: Double.self)
        }
        return sum
    }

    private static func timed(rounds: Int, _ body: () throws -> Void) throws -> (median: Double, spread: Double) {
        var times: [Double] = []
        for _ in 0...rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.removeFirst()  // the first round faults the mappings in
        times.sort()
        return (times[times.count / 2], times[times.count * 3 / 4] - times[times.count / 4])
    }
}
