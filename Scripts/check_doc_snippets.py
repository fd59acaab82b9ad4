#!/usr/bin/env python3
"""Compiles every ```swift snippet of README.md and docs/*.md against the package's debug build.

    python3 Scripts/check_doc_snippets.py [--build-dir .build/debug] [--frameworks]

Each snippet is compiled on its own as a main file (top-level code and declarations alike), with
`import PrometheusClient` added when missing. Names a snippet uses without declaring them
(`registry`, `directory`, `token`, ...) come from a small context module, which a snippet's own
declarations shadow. Snippets that import a web framework (Vapor, Hummingbird, SwiftNIO) are
compiled with --frameworks only, in a scratch package that depends on those frameworks.
Exits 1 and prints the compiler's errors when a snippet does not compile.
"""
import argparse, glob, os, re, shutil, subprocess, sys, tempfile, textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FRAMEWORK_IMPORTS = {"Vapor", "Hummingbird", "HTTPTypes", "NIOCore", "NIOHTTP1", "NIOPosix"}

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
                yield os.path.relpath(path, ROOT), start + 1, textwrap.dedent("\n".join(lines[start:end]))
                index = end
            index += 1


def imports(code):
    return set(re.findall(r"^import\s+(\w+)", code, re.M))


def compile_core(found, build_dir, work):
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
        os.makedirs(os.path.dirname(source))
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


def compile_frameworks(found, work):
    package = os.path.join(work, "frameworks")
    os.makedirs(os.path.join(package, "Sources", "Snippets"))
    manifest = open(os.path.join(ROOT, "Package.swift")).read()
    libraries = [name for name in ("PrometheusClient", "PrometheusMultiprocess", "PrometheusServing", "PrometheusPush")
                 if '.library(name: "%s"' % name in manifest]
    # A path dependency's package identity is the last component of its path.
    identity = os.path.basename(ROOT.rstrip("/")).lower()
    products = "".join('.product(name: "%s", package: "%s"), ' % (name, identity) for name in libraries)
    open(os.path.join(package, "Package.swift"), "w").write(textwrap.dedent("""\
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
            ],
            targets: [
                .target(name: "Snippets", dependencies: [
                    %s
                    .product(name: "Vapor", package: "vapor"),
                    .product(name: "Hummingbird", package: "hummingbird"),
                    .product(name: "NIOCore", package: "swift-nio"),
                    .product(name: "NIOHTTP1", package: "swift-nio"),
                    .product(name: "HTTPTypes", package: "swift-http-types"),
                ]),
            ]
        )
        """) % (ROOT, products))
    for number, (path, line, code) in enumerate(found):
        # A snippet that declares types stays at file level; any other becomes the body of a function
        # whose parameters are what it assumes exists (`registry`, and Vapor's `app`).
        declarations = re.sub(r"^import .*$", "", code, flags=re.M)
        file_imports = "".join("import %s\n" % name for name in sorted(imports(code) | set(libraries) | {"Foundation"}))
        if re.search(r"^(final class|class|struct|enum|extension) ", declarations, re.M):
            text = "%s// %s:%d\n%s\n" % (file_imports, path, line, declarations)
        else:
            parameters = "app: Application, registry: CollectorRegistry" if "Vapor" in imports(code) else "registry: CollectorRegistry"
            text = "%s// %s:%d\nfunc snippet%d(%s) {\n%s\n}\n" % (file_imports, path, line, number, parameters, declarations)
        open(os.path.join(package, "Sources", "Snippets", "Snippet%d.swift" % number), "w").write(text)
    result = subprocess.run(["swift", "build", "--package-path", package], capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout[-6000:], result.stderr[-3000:])
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", default=os.path.join(ROOT, ".build", "debug"))
    parser.add_argument("--frameworks", action="store_true")
    arguments = parser.parse_args()
    found = list(snippets())
    core = [s for s in found if not (imports(s[2]) & FRAMEWORK_IMPORTS)]
    framework = [s for s in found if imports(s[2]) & FRAMEWORK_IMPORTS]
    work = tempfile.mkdtemp(prefix="doc-snippets-")
    try:
        failures = compile_core(core, arguments.build_dir, work)
        print("%d of %d snippets compile" % (len(core) - failures, len(core)))
        if arguments.frameworks and framework:
            if compile_frameworks(framework, work):
                failures += 1
                print("the framework snippets do not compile against Vapor, Hummingbird and SwiftNIO")
            else:
                print("%d framework snippets compile against Vapor, Hummingbird and SwiftNIO" % len(framework))
        elif framework:
            print("%d framework snippets not compiled (pass --frameworks)" % len(framework))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
