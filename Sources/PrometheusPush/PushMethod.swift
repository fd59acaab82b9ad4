import PrometheusClient

/// The three Pushgateway operations, by HTTP method.
public enum PushMethod: String, Sendable, Hashable, CaseIterable {
    /// `PUT`: replaces every metric of the group (Python's `push_to_gateway`).
    case put = "PUT"
    /// `POST`: replaces only the metrics with the same names (Python's `pushadd_to_gateway`).
    case post = "POST"
    /// `DELETE`: removes the whole group (Python's `delete_from_gateway`).
    case delete = "DELETE"
}
