"""Writes a multiprocess directory as P Python worker processes with S series each would, through the
Python client's own MmapedDict, for Scripts/benchmark.sh's merge suite.

Usage: python3 Scripts/make_multiproc_dir.py DIR PROCESSES SERIES
Per process: 40% counter series, 30% livesum gauges, the rest histogram entries (sum + 9 buckets).
"""
import json
import os
import sys

from prometheus_client.mmap_dict import MmapedDict


def key(family, sample, labels, help_text):
    return json.dumps((family, sample, labels, help_text), sort_keys=True)


def main():
    directory, processes, series = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(directory, exist_ok=True)
    counters = series * 4 // 10
    gauges = series * 3 // 10
    histograms = max(1, (series - counters - gauges) // 10)
    bounds = ["0.005", "0.01", "0.05", "0.1", "0.5", "1.0", "5.0", "10.0", "+Inf"]
    for pid in range(1, processes + 1):
        counter = MmapedDict(os.path.join(directory, f"counter_{pid}.db"))
        for index in range(counters):
            counter.write_value(key("requests", "requests_total", {"route": f"/r{index}"}, "Requests."), pid + index, 0)
        counter.close()
        gauge = MmapedDict(os.path.join(directory, f"gauge_livesum_{pid}.db"))
        for index in range(gauges):
            gauge.write_value(key("in_progress", "in_progress", {"queue": f"q{index}"}, "In progress."), 1.5, 0)
        gauge.close()
        histogram = MmapedDict(os.path.join(directory, f"histogram_{pid}.db"))
        for index in range(histograms):
            labels = {"route": f"/h{index}"}
            histogram.write_value(key("latency", "latency_sum", labels, "Latency."), 0.25 * pid, 0)
            for bound in bounds:
                histogram.write_value(key("latency", "latency_bucket", dict(labels, le=bound), "Latency."), 1, 0)
        histogram.close()


if __name__ == "__main__":
    main()
