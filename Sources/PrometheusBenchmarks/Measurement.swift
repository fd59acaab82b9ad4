import Foundation

/// One figure of a benchmark suite, in the suite's unit (ns/op, ms, ns/byte, bytes).
struct Measurement {
    let name: String
    let value: Double

    /// Times a loop body and reports nanoseconds per operation: the best of several rounds, so that a
    /// scheduler hiccup on a shared machine does not count.
    static func run(_ name: String, iterations: Int, rounds: Int = 5, _ body: (Int) -> Void) -> Measurement {
        body(min(iterations, 10_000))  // warm up caches and lazily created state
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            body(iterations)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
            best = min(best, elapsed / Double(iterations))
        }
        return Measurement(name: name, value: best)
    }

    /// `name<TAB>value`, the line format Scripts/benchmark.sh reads.
    var line: String {
        "\(name)\t\(String(format: "%.2f", value))"
    }
}
