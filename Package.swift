// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "PrometheusClient",
    products: [
        .library(name: "PrometheusClient", targets: ["PrometheusClient"]),
        .executable(name: "prefork-demo", targets: ["PreforkDemo"]),
        .executable(name: "prometheus-example", targets: ["PrometheusExample"]),
        .executable(name: "prometheus-benchmarks", targets: ["PrometheusBenchmarks"]),
        .executable(name: "http-benchmark-server", targets: ["HTTPBenchmarkServer"]),
        .executable(name: "prometheus-multiproc", targets: ["PrometheusMultiproc"]),
    ],
    targets: [
        // Atomic operations on raw (possibly memory-mapped) memory, and small system shims.
        .target(name: "CPrometheusSupport"),
        // The operating-system layer: typed descriptors, Errno, directories, mappings, clocks. The
        // only module that imports the C library.
        .target(name: "PrometheusSystem"),
        .target(
            name: "PrometheusClient",
            dependencies: ["CPrometheusSupport", "PrometheusSystem"],
            linkerSettings: [.linkedLibrary("z")]
        ),
        // The main job: a pre-forking server whose master serves its workers' merged metrics.
        .executableTarget(name: "PreforkDemo", dependencies: ["PrometheusClient", "CPrometheusSupport"]),
        .executableTarget(name: "PrometheusExample", dependencies: ["PrometheusClient"]),
        // Spawned by the multiprocess tests: forks writers, or writes until it is killed.
        .executableTarget(name: "PrometheusTestWorker", dependencies: ["PrometheusClient"]),
        .executableTarget(name: "PrometheusBenchmarks", dependencies: ["PrometheusClient", "CPrometheusSupport"]),
        .executableTarget(name: "HTTPBenchmarkServer", dependencies: ["PrometheusClient"]),
        // libFuzzer target for the parsers and the .db reader (Scripts/fuzz.sh); replays the corpus otherwise.
        .executableTarget(name: "PrometheusFuzz", dependencies: ["PrometheusClient"]),
        // Command-line tool: merge, inspect and mark-dead on multiprocess directories (Python's too).
        .executableTarget(name: "PrometheusMultiproc", dependencies: ["PrometheusClient"]),
        .testTarget(
            name: "PrometheusClientTests",
            dependencies: [
                "PrometheusClient", "PrometheusTestWorker", "PreforkDemo", "PrometheusMultiproc", "PrometheusFuzz",
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
