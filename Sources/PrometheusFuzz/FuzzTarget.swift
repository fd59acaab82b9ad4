import Foundation
import PrometheusClient
import PrometheusMultiprocess

/// One fuzz input: the first byte chooses what reads the rest, so one corpus covers every reader.
/// Nothing may crash, hang or grow without bound; a parse that succeeds must render and parse again.
enum FuzzTarget {
    static func run(_ input: [UInt8]) {
        guard let selector = input.first else { return }
        let body = Array(input.dropFirst())
        switch selector % 4 {
        case 0:
            if let families = try? PrometheusTextParser.parse(body) {
                _ = Exposition.render(families, as: .prometheusText004)
                _ = Exposition.render(families, as: .openMetrics100)
            }
        case 1:
            if let families = try? OpenMetricsParser.parse(body) {
                let rendered = Exposition.render(families, as: .openMetrics100, escaping: .allowUTF8)
                _ = try? OpenMetricsParser.parse(rendered)
            }
            // The same bytes as OpenMetrics 2.0: what parses must be written back as valid 2.0.
            if let families = try? OpenMetrics2Parser.parse(body) {
                let rendered = Exposition.render(families, as: .openMetrics200, escaping: .allowUTF8)
                do {
                    _ = try OpenMetrics2Parser.parse(rendered)
                } catch {
                    fatalError("\(error) in our own 2.0 body:\n\(String(decoding: rendered, as: UTF8.self))")
                }
            }
        case 2:
            let inspection = DBFileInspection(bytes: body)
            _ = inspection.entries.count
        default:
            if let families = try? ProtobufParser.parse(body) {
                let rendered = Exposition.render(families, as: .prometheusProtobuf, escaping: .allowUTF8)
                _ = try? ProtobufParser.parse(rendered)
                _ = Exposition.render(families, as: .openMetrics200)
            }
        }
    }
}

#if FUZZING
    /// libFuzzer's entry point (built with `-sanitize=fuzzer -D FUZZING`, see Scripts/fuzz.sh).
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
        FuzzTarget.run(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }

    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
    ) -> Int32

    /// SwiftPM names an executable's entry point `<Target>_main`; libFuzzer's driver runs from here.
    @_cdecl("PrometheusFuzz_main")
    public func fuzzMain(
        _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    ) -> Int32 {
        var count = argc
        var arguments = argv
        return runFuzzerDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
    }
#else
    /// Without libFuzzer: replays every file in the given directories (the committed corpus), so the
    /// corpus runs as a regression test in every build.
    @main
    struct ReplayCorpus {
        static func main() {
            var count = 0
            for directory in CommandLine.arguments.dropFirst() {
                let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                for file in files.sorted() {
                    guard let data = FileManager.default.contents(atPath: directory + "/" + file) else { continue }
                    FuzzTarget.run(Array(data))
                    count += 1
                }
            }
            print("replayed \(count) inputs")
        }
    }
#endif
