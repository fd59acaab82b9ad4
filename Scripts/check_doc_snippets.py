#!/usr/bin/env python3
"""Compiles every ```swift snippet of README.md and docs/*.md against the package's debug build.

    python3 Scripts/check_doc_snippets.py [--build-dir .build/debug] [--frameworks]

Each snippet is compiled on its own as a main file (top-level code and declarations alike), with
`import PrometheusClient` added when missing. Names a snippet uses without declaring them
(`registry`, `directory`, `token`, ...) come from a small context module, which a snippet's own
declarations shadow. A package manifest (a snippet starting with `// swift-tools-version`) is not
compiled. Snippets that import a web framework (Vapor, Hummingbird, SwiftNIO) or swift-metrics are
compiled with --frameworks only, in a scratch package that depends on those packages and on this
one by path, as a user's package does. That package also runs two programs: README's Quick start
(started, scraped, stopped with SIGINT) and docs/swift-metrics.md's backend under a program that
records through the swift-metrics API and checks the exposition. --prepare-frameworks --work DIR
only builds that package in DIR (Scripts/test.sh starts it in the background, under SCHED_IDLE, while
the tests run); a later --frameworks --work DIR finds it built.
Exits 1 and prints what failed.
"""
import argparse, glob, os, re, shutil, subprocess, sys, tempfile, textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FRAMEWORK_IMPORTS = {"Vapor", "Hummingbird", "HTTPTypes", "NIOCore", "NIOHTTP1", "NIOPosix", "CoreMetrics", "Metrics"}

# What the snippets take from their surroundings. Kept to plain values and stubs.
CONTEXT = """
import Foundation
%(imports)s

public let registry = CollectorRegistry()
public let directory = NSTemporaryDirectory()
public let token = "secret"
public let text = "# TYPE up gauge\\nup 1\\n"
public let openMetricsText = "# TYPE up gauge\\nup 1\\n# EOF\\n"
public let gateway = try! Pushgateway("127.0.0.1:9091")
public func handle() {}
public func runJob() throws {}
public func fetchBody() async throws -> [UInt8] { [] }
public func readQueueDepths() throws -> [String: Int] { [:] }
"""


def snippets():
    files = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    for path in files:
        lines = open(path, encoding="utf-8").read().split("\n")
        index = 0
        while index < len(lines):
            opening = lines[index].strip()
            if opening == "```swift":
                start = index + 1
                end = start
                while end < len(lines) and lines[end].strip() != "```":
                    end += 1
                code = textwrap.dedent("\n".join(lines[start:end]))
                if not code.startswith("// swift-tools-version"):
                    yield os.path.relpath(path, ROOT), start + 1, code
                index = end
            index += 1


def imports(code):
    return set(re.findall(r"^import\s+(\w+)", code, re.M))


def compile_core(found, build_dir, work):
    os.makedirs(work, exist_ok=True)
    modules = os.path.join(build_dir, "Modules")
    common = ["swiftc", "-I", modules]
    for c_module in ("CPrometheusSupport", "CPrometheusSystemCalls", "CPrometheusTLS"):
        common += ["-Xcc", "-fmodule-map-file=" + os.path.join(build_dir, c_module + ".build", "module.modulemap")]
    libraries = [name for name in ("PrometheusClient", "PrometheusMultiprocess", "PrometheusServing", "PrometheusPush")
                 if os.path.exists(os.path.join(modules, name + ".swiftmodule"))]
    library_imports = "".join("import %s\n" % name for name in libraries)
    context = os.path.join(work, "SnippetContext.swift")
    open(context, "w").write(CONTEXT % {"imports": library_imports})
    result = subprocess.run(
        common + ["-parse-as-library", "-emit-module", "-module-name", "SnippetContext", "-emit-module-path",
                  os.path.join(work, "SnippetContext.swiftmodule"), context],
        capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stderr)
        sys.exit("the snippet context does not compile (is the package built?)")
    failures = 0
    for number, (path, line, code) in enumerate(found):
        source = os.path.join(work, "snippet%d" % number, "main.swift")
        os.makedirs(os.path.dirname(source), exist_ok=True)
        header = library_imports + "import SnippetContext\n"
        open(source, "w").write(header + code + "\n")
        result = subprocess.run(
            common + ["-I", work, "-emit-sil", "-o", os.devnull, "-module-name", "Snippet%d" % number, source],
            capture_output=True, text=True)
        # A needless `try` means the snippet shows an API that is not what users write.
        needless = "no calls to throwing functions occur within 'try'" in result.stderr
        if result.returncode != 0 or needless:
            failures += 1
            print("%s:%d: the snippet does not compile cleanly:\n%s" % (path, line, result.stderr.replace(source, path)))
    return failures


SWIFT_METRICS_CHECK = r"""
import CoreMetrics
import Foundation
import PrometheusClient

let registry = CollectorRegistry()
MetricsSystem.bootstrap(try PrometheusMetricsBackend(registry: registry))
CoreMetrics.Counter(label: "http.requests", dimensions: [("method", "GET"), ("status", "200")]).increment(by: 3)
CoreMetrics.Counter(label: "http.requests", dimensions: [("method", "GET")]).increment()
FloatingPointCounter(label: "bytes", dimensions: []).increment(by: 1.5)
CoreMetrics.Gauge(label: "queue-depth").record(7)
Meter(label: "connections", dimensions: [("kind", "ws")]).increment(by: 2)
Recorder(label: "payload_size").record(300)
CoreMetrics.Timer(label: "db_query", dimensions: [("__table", "users")]).recordMilliseconds(20)
CoreMetrics.Gauge(label: "http.requests").record(1)  // another type under a name in use: left out
CoreMetrics.Counter(label: "odd", dimensions: [("k", "a"), ("k", "b")]).increment()  // a label given twice
CoreMetrics.Counter(label: "bad", dimensions: [("le", "x")]).increment()  // fine for a counter
Recorder(label: "bucketed", dimensions: [("le", "x")]).record(1)  // a histogram cannot have le: dropped
let gone = CoreMetrics.Counter(label: "gone")
gone.increment()
gone.destroy()
let text = Exposition.string(registry.collect().families, as: .prometheusText004)
let expected = [
    #"http_requests_total{method="GET",status="200"} 3.0"#,
    #"http_requests_total{method="GET"} 1.0"#,
    "bytes_total 1.5",
    "queue_depth 7.0",
    #"connections{kind="ws"} 2.0"#,
    #"payload_size_bucket{le="500.0"} 1.0"#,
    #"db_query_bucket{_table="users",le="0.025"} 1.0"#,
    #"odd_total{k="b"} 1.0"#,
    #"bad_total{le="x"} 1.0"#,
]
let missing = expected.filter { !text.contains($0) }
let unexpected = ["gone_total", "# TYPE http_requests gauge", "bucketed"].filter { text.contains($0) }
print("=== exposition ===")
print(text, terminator: "")
if !missing.isEmpty || !unexpected.isEmpty {
    print("MISSING: \(missing)\nUNEXPECTED: \(unexpected)")
    exit(1)
}
"""


def find_snippet(found, path, marker):
    """The code of the snippet of `path` that contains `marker`."""
    for snippet_path, _, code in found:
        if snippet_path == path and marker in code:
            return code
    sys.exit("%s has no snippet containing %r" % (path, marker))


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_quick_start(executable, port):
    """Starts the Quick start (built to serve `port`), scrapes it, stops it with SIGINT; returns a
    problem or None."""
    import signal, time, urllib.error, urllib.request
    process = subprocess.Popen([executable], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        body = None
        deadline = time.monotonic() + 60
        while body is None and time.monotonic() < deadline and process.poll() is None:
            try:
                body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        if body is None:
            return "the Quick start did not serve on port %d (exit status %s)" % (port, process.poll())
        for expected in ('http_requests_total{code="200",path="/"} 1.0', "http_request_duration_seconds_count 1.0"):
            if expected not in body:
                return "the Quick start's /metrics lacks %r:\n%s" % (expected, body)
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=15)
        return None if status == 0 else "the Quick start exited with %d after SIGINT" % status
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def run_swift_metrics_check(executable):
    """Runs the swift-metrics backend check; returns a problem or None."""
    result = subprocess.run([executable], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        return "the swift-metrics backend check failed:\n%s%s" % (result.stdout[-4000:], result.stderr[-2000:])
    promtool = shutil.which("promtool")
    if promtool:
        exposition = result.stdout.split("=== exposition ===\n", 1)[-1]
        checked = subprocess.run([promtool, "check", "metrics"], input=exposition, capture_output=True, text=True)
        problems = [l for l in (checked.stdout + checked.stderr).splitlines() if "error" in l.lower()]
        if problems:
            return "promtool rejects what the swift-metrics backend serves: %s" % problems
    return None


def write_if_changed(path, text):
    """Writes `text` to `path` unless it holds it already: a prepared build then stays up to date."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path) and open(path).read() == text:
        return
    open(path, "w").write(text)


def write_frameworks_package(found, work, runnable):
    """Writes the package that compiles the framework snippets and the programs run from the docs;
    returns its path."""
    package = os.path.join(work, "frameworks")
    manifest = open(os.path.join(ROOT, "Package.swift")).read()
    libraries = [name for name in ("PrometheusClient", "PrometheusMultiprocess", "PrometheusServing", "PrometheusPush")
                 if '.library(name: "%s"' % name in manifest]
    # A path dependency's package identity is the last component of its path.
    identity = os.path.basename(ROOT.rstrip("/")).lower()
    products = "".join('.product(name: "%s", package: "%s"), ' % (name, identity) for name in libraries)
    write_if_changed(os.path.join(package, "Package.swift"), textwrap.dedent("""\
        // swift-tools-version: 6.1
        import PackageDescription
        let package = Package(
            name: "Snippets",
            dependencies: [
                .package(path: "%s"),
                .package(url: "https://github.com/vapor/vapor", exact: "4.122.3"),
                .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
                .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
                .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
                .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
            ],
            targets: [
                .target(name: "Snippets", dependencies: [
                    %s
                    .product(name: "Vapor", package: "vapor"),
                    .product(name: "Hummingbird", package: "hummingbird"),
                    .product(name: "NIOCore", package: "swift-nio"),
                    .product(name: "NIOHTTP1", package: "swift-nio"),
                    .product(name: "HTTPTypes", package: "swift-http-types"),
                    .product(name: "Metrics", package: "swift-metrics"),
                    .product(name: "CoreMetrics", package: "swift-metrics"),
                ]),
                .executableTarget(name: "QuickStart", dependencies: [%s]),
                .executableTarget(name: "SwiftMetricsCheck", dependencies: [
                    %s
                    .product(name: "CoreMetrics", package: "swift-metrics"),
                ]),
            ]
        )
        """) % (ROOT, products, products, products))
    for target, code in runnable.items():
        write_if_changed(os.path.join(package, "Sources", target, "main.swift"), code)
    for number, (path, line, code) in enumerate(found):
        # A snippet that declares types stays at file level; any other becomes the body of a function
        # whose parameters are what it assumes exists (`registry`, and Vapor's `app`).
        declarations = re.sub(r"^import .*$", "", code, flags=re.M)
        file_imports = "".join("import %s\n" % name for name in sorted(imports(code) | set(libraries) | {"Foundation"}))
        if re.search(r"^(final class|class|struct|enum|extension) ", declarations, re.M):
            text = "%s// %s:%d\n%s\n" % (file_imports, path, line, declarations)
        else:
            parameters = "app: Application, registry: CollectorRegistry" if "Vapor" in imports(code) else "registry: CollectorRegistry"
            text = "%s// %s:%d\nfunc snippet%d(%s) async throws {\n%s\n}\n" % (
                file_imports, path, line, number, parameters, declarations)
        write_if_changed(os.path.join(package, "Sources", "Snippets", "Snippet%d.swift" % number), text)
    return package


# Without debug information and without an index store: the package only has to compile and run
# once, and leaving both out shortens the build of Vapor, Hummingbird and their C libraries (the
# index store cost about 15 % of the compilation of our own package here; a build of test targets
# cannot go without it on Linux, where XCTest discovery reads it). --prepare-frameworks and
# --frameworks pass the same flags, so that the second finds the first's build up to date.
FRAMEWORK_BUILD_FLAGS = ["--disable-index-store", "-Xswiftc", "-gnone", "-Xcc", "-g0"]


def compile_frameworks(found, work, runnable, quick_start_port):
    package = write_frameworks_package(found, work, runnable)
    result = subprocess.run(["swift", "build", "--package-path", package] + FRAMEWORK_BUILD_FLAGS,
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout[-6000:], result.stderr[-3000:])
        return 1
    binaries = subprocess.run(["swift", "build", "--package-path", package, "--show-bin-path"] + FRAMEWORK_BUILD_FLAGS,
                              capture_output=True, text=True).stdout.strip()
    failures = 0
    for problem in (run_quick_start(os.path.join(binaries, "QuickStart"), quick_start_port),
                    run_swift_metrics_check(os.path.join(binaries, "SwiftMetricsCheck"))):
        if problem:
            failures += 1
            print(problem)
    if not failures:
        print("README's Quick start served and stopped on SIGINT; the swift-metrics backend served what was recorded")
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", default=os.path.join(ROOT, ".build", "debug"))
    parser.add_argument("--frameworks", action="store_true")
    parser.add_argument("--work", help="a directory to build in and keep (default: a temporary one, removed)")
    parser.add_argument("--prepare-frameworks", action="store_true",
                        help="only build the framework package in --work, so that a later --frameworks run "
                             "with the same --work finds it built (Scripts/test.sh runs this in the background)")
    arguments = parser.parse_args()
    found = list(snippets())
    core = [s for s in found if not (imports(s[2]) & FRAMEWORK_IMPORTS)]
    framework = [s for s in found if imports(s[2]) & FRAMEWORK_IMPORTS]

    def runnable(port):
        return {
            "QuickStart": find_snippet(found, "README.md", "TerminationSignal.wait()").replace(
                "port: 8000", "port: %d" % port),
            "SwiftMetricsCheck": find_snippet(found, "docs/swift-metrics.md", "final class PrometheusMetricsBackend")
            + SWIFT_METRICS_CHECK,
        }

    if arguments.prepare_frameworks:
        # The Quick start is rebuilt later for the port free then; everything else stays built.
        package = write_frameworks_package(framework, arguments.work, runnable(8000))
        sys.exit(subprocess.run(["swift", "build", "--package-path", package] + FRAMEWORK_BUILD_FLAGS).returncode)
    work = arguments.work or tempfile.mkdtemp(prefix="doc-snippets-")
    try:
        failures = compile_core(core, arguments.build_dir, os.path.join(work, "core"))
        print("%d of %d snippets compile" % (len(core) - failures, len(core)))
        if arguments.frameworks and framework:
            port = free_port()
            if compile_frameworks(framework, work, runnable(port), port):
                failures += 1
                print("the framework snippets or the programs run from the docs failed (see above)")
            else:
                print("%d framework snippets compile against Vapor, Hummingbird, SwiftNIO and swift-metrics"
                      % len(framework))
        elif framework:
            print("%d framework snippets not compiled (pass --frameworks)" % len(framework))
    finally:
        if not arguments.work:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
