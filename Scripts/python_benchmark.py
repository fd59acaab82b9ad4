"""The Python client's side of Scripts/benchmark.sh: the same operations, printed as name<TAB>value
(ns/op, ms, ns/byte or bytes, as the suite says).

Usage: python3 Scripts/python_benchmark.py core|multiprocess [iterations]
       python3 Scripts/python_benchmark.py memory
       python3 Scripts/python_benchmark.py merge DIR LABEL
       python3 Scripts/python_benchmark.py parse TEXT_FILE OPENMETRICS_FILE
       python3 Scripts/python_benchmark.py render
       python3 Scripts/python_benchmark.py serve DIR PORT     (a multiprocess master, until killed)
       python3 Scripts/python_benchmark.py scrape ROUNDS NAME=URL...   (gzip scrapes, alternating)
"""
import os
import sys
import timeit

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


def best_ns(statement, number, rounds=5):
    return min(timeit.repeat(statement, number=number, repeat=rounds)) / number * 1e9


def core(iterations):
    registry = CollectorRegistry()
    counter = Counter("bench_counter", "B.", ["route"], registry=registry)
    gauge = Gauge("bench_gauge", "B.", ["route"], registry=registry)
    histogram = Histogram("bench_histogram", "B.", ["route"], registry=registry)
    counter_child = counter.labels("/home")
    gauge_child = gauge.labels("/home")
    histogram_child = histogram.labels("/home")
    for route in range(100):
        counter.labels(f"/route/{route}")
    print(f"counter_inc\t{best_ns(counter_child.inc, iterations):.2f}")
    print(f"gauge_set\t{best_ns(lambda: gauge_child.set(1.5), iterations):.2f}")
    print(f"histogram_observe\t{best_ns(lambda: histogram_child.observe(0.042), iterations):.2f}")
    print(f"labels_lookup\t{best_ns(lambda: counter.labels('/route/42'), iterations):.2f}")


def multiprocess(iterations):
    # The caller sets PROMETHEUS_MULTIPROC_DIR before Python starts, as multiprocess mode requires.
    counter = Counter("bench_counter", "B.", ["route"], registry=None)
    gauge = Gauge("bench_gauge", "B.", ["route"], multiprocess_mode="livesum", registry=None)
    histogram = Histogram("bench_histogram", "B.", ["route"], registry=None)
    counter_child = counter.labels("/home")
    gauge_child = gauge.labels("/home")
    histogram_child = histogram.labels("/home")
    print(f"mp_counter_inc\t{best_ns(counter_child.inc, iterations):.2f}")
    print(f"mp_gauge_set\t{best_ns(lambda: gauge_child.set(1.5), iterations):.2f}")
    print(f"mp_histogram_observe\t{best_ns(lambda: histogram_child.observe(0.042), iterations):.2f}")


def merge(directory, label):
    """Python's MultiProcessCollector and, when installed, the Rust reader from
    prometheus-client-python-speedups (its one function, merge(files), on the same .db files):
    medians of 9 rounds (as many as the Swift side's cold merges) and their range. Neither keeps anything between scrapes, so every merge is
    cold."""
    import glob
    import statistics
    from prometheus_client.multiprocess import MultiProcessCollector

    def collect():
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)
        list(registry.collect())

    def report(name, timings):
        timings = [t * 1e3 for t in timings]
        print(f"merge_{label}_{name}_median_ms\t{statistics.median(timings):.2f}")
        print(f"merge_{label}_{name}_range_ms\t{max(timings) - min(timings):.2f}")

    report("python", timeit.repeat(collect, number=1, repeat=9))
    try:
        from prometheus_client_python_speedups import merge as rust_merge
    except ImportError:
        return
    files = glob.glob(os.path.join(directory, "*.db"))
    report("rust", timeit.repeat(lambda: rust_merge(files), number=1, repeat=9))


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGESIZE")


def memory(children):
    keep_alive = []
    for name, cls in [("counter", Counter), ("gauge", Gauge), ("histogram", Histogram)]:
        before = resident_bytes()
        metric = cls(f"memory_{name}", "M.", ["id"], registry=None)
        for index in range(children):
            metric.labels(str(index))
        keep_alive.append(metric)
        print(f"memory_{name}_child_bytes\t{(resident_bytes() - before) / children:.2f}")


def parse(text_path, openmetrics_path):
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
    from prometheus_client.parser import text_string_to_metric_families as parse_text

    for name, path, parser in [("parse_text_ns_per_byte", text_path, parse_text),
                               ("parse_openmetrics_ns_per_byte", openmetrics_path, parse_openmetrics)]:
        text = open(path, encoding="utf-8").read()
        seconds = min(timeit.repeat(lambda: list(parser(text)), number=1, repeat=2))
        print(f"{name}\t{seconds * 1e9 / len(text.encode()):.2f}")


def render():
    """The registries of the Swift render suite, rendered with generate_latest (text and OpenMetrics)."""
    import prometheus_client
    from prometheus_client import generate_latest
    from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

    buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    counters, gauges, histograms = CollectorRegistry(), CollectorRegistry(), CollectorRegistry()
    counter = Counter("http_requests", "Requests.", ["method", "route"], registry=counters)
    gauge = Gauge("temperature", "T.", ["method", "route"], registry=gauges)
    for index in range(10_000):
        counter.labels("GET", f"/api/item/{index}").inc(index)
        gauge.labels("GET", f"/api/item/{index}").set(index * 0.37 + 0.5)
    histogram = Histogram("latency_seconds", "L.", ["method", "route"], buckets=buckets, registry=histograms)
    for index in range(1_000):
        child = histogram.labels("GET", f"/api/item/{index}")
        for observation in range(20):
            child.observe(((index + observation) % 40) * 0.3)
    for name, registry in [("counters", counters), ("gauges", gauges), ("histograms", histograms)]:
        for format_name, generate in (("text", generate_latest), ("openmetrics", generate_openmetrics)):
            for created in (False, True):
                # Read at every collection, as the Swift switch is.
                if created:
                    prometheus_client.enable_created_metrics()
                else:
                    prometheus_client.disable_created_metrics()
                seconds = min(timeit.repeat(lambda: generate(registry), number=1, repeat=3))
                suffix = "_created" if created else ""
                print(f"render_{name}_{format_name}{suffix}_ms\t{seconds * 1e3:.2f}")


def serve(directory, port):
    import time

    from prometheus_client import start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    start_http_server(int(port), addr="127.0.0.1", registry=registry)
    while True:
        time.sleep(3600)


def scrape(rounds, targets):
    """Scrapes each NAME=URL in turn, ROUNDS times, asking for gzip as Prometheus does; prints the
    median, fastest and slowest response time of each in ms, and the body size."""
    import statistics
    import time
    import urllib.request

    timings = {name: [] for name, _ in targets}
    sizes = {}
    for _ in range(rounds):
        for name, url in targets:
            request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
            start = time.perf_counter()
            with urllib.request.urlopen(request, timeout=600) as response:
                body = response.read()
            timings[name].append((time.perf_counter() - start) * 1e3)
            sizes[name] = len(body)
    for name, _ in targets:
        values = timings[name]
        print(f"scrape_{name}_ms\t{statistics.median(values):.2f}\t{min(values):.2f}\t{max(values):.2f}\t{sizes[name]}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "render":
        render()
        sys.exit(0)
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
        sys.exit(0)
    if len(sys.argv) > 1 and sys.argv[1] == "scrape":
        scrape(int(sys.argv[2]), [argument.split("=", 1) for argument in sys.argv[3:]])
        sys.exit(0)
    if len(sys.argv) > 1 and sys.argv[1] == "parse":
        parse(sys.argv[2], sys.argv[3])
        sys.exit(0)
    if len(sys.argv) > 1 and sys.argv[1] == "memory":
        memory(200_000)
        sys.exit(0)
    if len(sys.argv) > 1 and sys.argv[1] == "merge":
        merge(sys.argv[2], sys.argv[3])
        sys.exit(0)
    suite = sys.argv[1] if len(sys.argv) > 1 else "core"
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    {"core": core, "multiprocess": multiprocess}[suite](iterations)
