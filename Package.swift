// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "PrometheusClient",
    products: [
        .library(name: "PrometheusClient", targets: ["PrometheusClient"]),
        .executable(name: "prometheus-example", targets: ["PrometheusExample"]),
        .executable(name: "prometheus-benchmarks", targets: ["PrometheusBenchmarks"]),
    ],
    targets: [
        // Atomic operations on raw (possibly memory-mapped) memory, and small system shims.
        .target(name: "CPrometheusSupport"),
        .target(
            name: "PrometheusClient",
            dependencies: ["CPrometheusSupport"],
            linkerSettings: [.linkedLibrary("z")]
        ),
        .executableTarget(name: "PrometheusExample", dependencies: ["PrometheusClient"]),
        // Spawned by the multiprocess tests: forks writers, or writes until it is killed.
        .executableTarget(name: "PrometheusTestWorker", dependencies: ["PrometheusClient"]),
        .executableTarget(name: "PrometheusBenchmarks", dependencies: ["PrometheusClient"]),
        .testTarget(name: "PrometheusClientTests", dependencies: ["PrometheusClient", "PrometheusTestWorker"]),
    ],
    swiftLanguageModes: [.v6]
)
