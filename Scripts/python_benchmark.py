"""The Python client's side of Scripts/benchmark.sh: the same operations, printed as name<TAB>value
(ns/op, ms, ns/byte or bytes, as the suite says).

Usage: python3 Scripts/python_benchmark.py core|multiprocess [iterations]
       python3 Scripts/python_benchmark.py memory
       python3 Scripts/python_benchmark.py merge DIR LABEL
       python3 Scripts/python_benchmark.py parse TEXT_FILE OPENMETRICS_FILE
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
    from prometheus_client.multiprocess import MultiProcessCollector

    def collect():
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)
        list(registry.collect())

    # Python keeps no cache between scrapes, so every merge is cold.
    cold = min(timeit.repeat(collect, number=1, repeat=3)) * 1e3
    print(f"merge_{label}_cold_ms\t{cold:.2f}")
    print(f"merge_{label}_warm_ms\t{cold:.2f}")


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


if __name__ == "__main__":
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
