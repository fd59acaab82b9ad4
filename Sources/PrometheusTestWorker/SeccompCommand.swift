import CTestSeccomp
import Foundation
import Glibc
import PrometheusClient
import PrometheusMultiprocess
import PrometheusSystem

/// `forbidden-copy DIR ROUNDS`: a master under a seccomp filter that refuses `process_vm_readv`
/// with `EPERM`, as a container runtime's profile may. Prints `refused=` and how a batched copy
/// failed (the filter is on), then the text of the last of ROUNDS scrapes of DIR: from the third
/// on, a master allowed the call would copy the small files in batches.
func runForbiddenCopy(directory: String, rounds: Int) throws {
    guard prometheus_test_forbid_process_vm_readv() == 0 else {
        fail("cannot install the seccomp filter: \(String(cString: strerror(errno)))")
    }
    let source = [UInt8](repeating: 7, count: 8)
    var destination = [UInt8](repeating: 0, count: 8)
    let batch = OwnMemoryBatch()
    let refusal = source.withUnsafeBytes { from in
        destination.withUnsafeMutableBytes { to in
            batch.append(from: from, to: to.baseAddress!)
            do {
                _ = try batch.copy()
                return "none"
            } catch let refusal as Errno {
                return refusal.name ?? "\(refusal)"
            } catch {
                return "\(error)"
            }
        }
    }
    FileHandle.standardOutput.write(Data("refused=\(refusal)\n".utf8))
    let registry = CollectorRegistry()
    try registry.register(try MultiProcessCollector(path: directory, lifecycle: .manual))
    var text: [UInt8] = []
    for _ in 0..<max(rounds, 1) {
        registry.render(as: .prometheusText004, into: &text)
    }
    FileHandle.standardOutput.write(Data(text))
}
