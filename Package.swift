// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "PrometheusClient",
    products: [
        .library(name: "PrometheusClient", targets: ["PrometheusClient"]),
        .executable(name: "prometheus-example", targets: ["PrometheusExample"]),
        .executable(name: "prefork-demo", targets: ["PreforkDemo"]),
        .executable(name: "http-benchmark-server", targets: ["HTTPBenchmarkServer"]),
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
        .executableTarget(name: "PreforkDemo", dependencies: ["PrometheusClient", "CPrometheusSupport"]),
        .executableTarget(name: "HTTPBenchmarkServer", dependencies: ["PrometheusClient"]),
        .testTarget(name: "PrometheusClientTests", dependencies: ["PrometheusClient"]),
    ],
    swiftLanguageModes: [.v6]
)
