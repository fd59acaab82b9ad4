import PrometheusClient

print("PrometheusClient example: the exposition will appear here once the metric types land.")
