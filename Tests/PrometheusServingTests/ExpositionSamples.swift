import Foundation
import PrometheusTestSupport

/// Reads sample values out of text exposition for assertions: `name{a="b",...} value` lines.
/// Label values in these tests contain no escaped quotes or commas, so a small reader suffices.
struct ExpositionSamples {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let samples: [Sample]

    init(_ text: String) {
        samples = text.split(separator: "\n").compactMap { line -> Sample? in
            guard !line.hasPrefix("#"), let lastSpace = line.lastIndex(of: " ") else { return nil }
            let series = line[..<lastSpace]
            guard
                let value = Double(line[line.index(after: lastSpace)...].replacingOccurrences(of: "+Inf", with: "inf"))
            else { return nil }
            guard let brace = series.firstIndex(of: "{") else {
                return Sample(name: String(series), labels: [:], value: value)
            }
            var labels: [String: String] = [:]
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",")
            {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            return Sample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }

    /// The sum over samples called `name` whose labels include all of `matching`; nil if none.
    func sum(_ name: String, _ matching: [String: String] = [:]) -> Double? {
        let selected = samples.filter { sample in
            sample.name == name && matching.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return selected.isEmpty ? nil : selected.reduce(0) { $0 + $1.value }
    }
}

extension DemoProcess {
    /// Scrapes the master until `condition` holds (at most `timeout` seconds), returning the last
    /// parse.
    func scrapeUntil(timeout: Double = 10, _ condition: (ExpositionSamples) -> Bool) throws -> ExpositionSamples {
        let deadline = Date().addingTimeInterval(timeout)
        var samples = ExpositionSamples(try scrape())
        while !condition(samples) && Date() < deadline {
            usleep(100_000)
            samples = ExpositionSamples(try scrape())
        }
        return samples
    }
}
