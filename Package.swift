// swift-tools-version: 6.1
import PackageDescription

// Linux with glibc only (Sources/PrometheusSystem/Platform.swift stops the build elsewhere), so no
// Apple `platforms` are declared. Swift 6.1 or later.
let package = Package(
    name: "PrometheusClient",
    products: [
        // The client: metrics, registry, multiprocess writing, exposition, parsers, collectors.
        .library(name: "PrometheusClient", targets: ["PrometheusClient"]),
        // The multiprocess master: merge, archiving, markProcessDead, liveness, generations, inspection.
        .library(name: "PrometheusMultiprocess", targets: ["PrometheusMultiprocess"]),
        // Serving: the framework-neutral MetricsHandler and the built-in MetricsServer.
        .library(name: "PrometheusServing", targets: ["PrometheusServing"]),
        // Pushing: Pushgateway, node_exporter textfiles, Graphite.
        .library(name: "PrometheusPush", targets: ["PrometheusPush"]),
        .executable(name: "prefork-demo", targets: ["PreforkDemo"]),
        .executable(name: "prometheus-example", targets: ["PrometheusExample"]),
        .executable(name: "prometheus-benchmarks", targets: ["PrometheusBenchmarks"]),
        .executable(name: "http-benchmark-server", targets: ["HTTPBenchmarkServer"]),
        .executable(name: "prometheus-multiproc", targets: ["PrometheusMultiproc"]),
    ],
    targets: [
        // Portable C: atomic operations on raw (possibly memory-mapped) memory, byte compares, zlib.
        // No system call: the core imports it.
        .target(name: "CPrometheusSupport", linkerSettings: [.linkedLibrary("z")]),
        // Linux system calls Swift cannot reach directly (epoll, eventfd, accept4, pidfd, OFD locks,
        // prctl), for the system layer alone.
        .target(name: "CPrometheusSystemCalls"),
        // The operating-system layer: typed descriptors, Errno, directories, mappings, sockets,
        // threads, clocks, /proc. The only library module that imports the C library.
        .target(name: "PrometheusSystem", dependencies: ["CPrometheusSystemCalls"]),
        .target(name: "PrometheusClient", dependencies: ["CPrometheusSupport", "PrometheusSystem"]),
        // The multiprocess master, above the client as Python's multiprocess.py is above its metrics.
        .target(
            name: "PrometheusMultiprocess",
            dependencies: ["PrometheusClient", "PrometheusSystem", "CPrometheusSupport"]
        ),
        // TLS over the system's OpenSSL (libssl-dev), non-blocking, for serving and pushing. Kept
        // apart so that only programs that serve or push link libssl.
        .target(name: "CPrometheusTLS", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        .target(name: "PrometheusTLS", dependencies: ["CPrometheusTLS", "PrometheusSystem"]),
        .target(name: "PrometheusServing", dependencies: ["PrometheusClient", "PrometheusSystem", "PrometheusTLS"]),
        .target(
            name: "PrometheusPush",
            dependencies: ["PrometheusClient", "PrometheusMultiprocess", "PrometheusSystem", "PrometheusTLS"]),
        // The main job: a pre-forking server whose master serves its workers' merged metrics.
        .executableTarget(
            name: "PreforkDemo",
            dependencies: ["PrometheusClient", "PrometheusMultiprocess", "PrometheusServing", "CPrometheusSystemCalls"]),
        .executableTarget(name: "PrometheusExample", dependencies: ["PrometheusClient"]),
        // Spawned by the multiprocess tests: forks writers, or writes until it is killed.
        // Counts the test worker's heap allocations (replaces malloc for that process only).
        .target(name: "CAllocationCounter"),
        // Forbids one system call in the test worker, as a container's seccomp profile would.
        .target(name: "CTestSeccomp"),
        .executableTarget(
            name: "PrometheusTestWorker",
            dependencies: [
                "PrometheusClient", "PrometheusMultiprocess", "PrometheusSystem", "CAllocationCounter", "CTestSeccomp",
            ]),
        .executableTarget(
            name: "PrometheusBenchmarks",
            dependencies: [
                "PrometheusClient", "PrometheusMultiprocess", "PrometheusServing", "CPrometheusSupport",
                "CPrometheusSystemCalls",
            ]
        ),
        .executableTarget(
            name: "HTTPBenchmarkServer",
            dependencies: ["PrometheusClient", "PrometheusMultiprocess", "PrometheusServing"]),
        // libFuzzer target for the parsers and the .db reader (Scripts/fuzz.sh); replays the corpus otherwise.
        .executableTarget(name: "PrometheusFuzz", dependencies: ["PrometheusClient", "PrometheusMultiprocess"]),
        // Command-line tool: merge, inspect, mark-dead and serve multiprocess directories (Python's too).
        .executableTarget(
            name: "PrometheusMultiproc",
            dependencies: ["PrometheusClient", "PrometheusMultiprocess", "PrometheusServing"]),
        // Helpers every test target shares: external tools, spawned processes, multiprocess fixtures.
        .target(
            name: "PrometheusTestSupport", dependencies: ["PrometheusClient", "PrometheusSystem"],
            path: "Tests/PrometheusTestSupport"),
        // One test target per library module: the core's tests see neither the master nor serving.
        .testTarget(
            name: "PrometheusClientTests",
            dependencies: [
                "PrometheusClient", "PrometheusSystem", "PrometheusTestSupport", "PrometheusTestWorker",
                "PrometheusFuzz",
            ]),
        .testTarget(
            name: "PrometheusMultiprocessTests",
            dependencies: [
                "PrometheusClient", "PrometheusMultiprocess", "PrometheusSystem", "PrometheusTestSupport",
                "PrometheusTestWorker", "PrometheusMultiproc",
            ]),
        .testTarget(
            name: "PrometheusServingTests",
            dependencies: [
                "PrometheusClient", "PrometheusMultiprocess", "PrometheusServing", "PrometheusSystem",
                "PrometheusTestSupport", "PreforkDemo", "PrometheusMultiproc", "HTTPBenchmarkServer",
            ]),
        .testTarget(
            name: "PrometheusPushTests",
            dependencies: [
                // The HTTP engine serves as the redirecting and failing peer of the push tests.
                "PrometheusClient", "PrometheusMultiprocess", "PrometheusPush", "PrometheusServing",
                "PrometheusTestSupport",
            ]),
    ],
    swiftLanguageModes: [.v6]
)
