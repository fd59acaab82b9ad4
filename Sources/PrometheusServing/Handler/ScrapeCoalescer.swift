import PrometheusClient
import PrometheusSystem
import Synchronization

/// Concurrent scrapes that ask for the same response share one collection, as client_golang's
/// `CoalesceGather` does: an HA pair of Prometheus servers, or a server and an agent, scraping a
/// multiprocess master pay for one merge instead of one each.
///
/// The first scrape of a response (format, escaping, `name[]` filter, gzip) collects it; scrapes of
/// the same response that arrive while it is in flight wait for it, each until its own deadline (the
/// scrape timeout Prometheus sends), and get its bytes. One that waits too long collects on its own.
/// A scrape that finds nothing in flight pays one lock and one dictionary lookup, and copies nothing
/// when nobody waited for it.
final class ScrapeCoalescer: Sendable {
    /// What makes two scrapes' responses the same.
    struct Key: Hashable, Sendable {
        var format: ExpositionFormat
        var escaping: NameEscapingScheme
        var sampleNames: [String]
        var compresses: Bool
    }

    /// A response shared with scrapes that waited for it.
    struct Shared: Sendable {
        var headers: [HTTPHeader]
        var bytes: [UInt8]
    }

    /// What a scrape does: collect and share, wait and take, or collect for itself.
    enum Turn {
        /// Collect, then hand the response to ``finish(_:_:)``.
        case lead
        /// Take this response, collected by another scrape.
        case follow(Shared)
        /// Collect without sharing: the collection in flight did not end before the deadline.
        case alone
    }

    private final class Flight: Sendable {
        let result = SharedResult<Shared>()
        let followers = Atomic<Int>(0)
    }

    private let flights = Mutex<[Key: Flight]>([:])

    /// Joins the collection in flight for `key`, waiting until `deadline` (monotonic seconds), or
    /// starts one.
    func turn(for key: Key, deadline: Double) -> Turn {
        let (flight, leads) = flights.withLock { flights -> (Flight, Bool) in
            if let flight = flights[key] {
                flight.followers.add(1, ordering: .relaxed)
                return (flight, false)
            }
            let flight = Flight()
            flights[key] = flight
            return (flight, true)
        }
        if leads { return .lead }
        return flight.result.wait(until: deadline).map(Turn.follow) ?? .alone
    }

    /// Ends the collection of `key` a ``Turn/lead`` started: later scrapes collect afresh, and
    /// those that waited get `response()` (made only when any did).
    func finish(_ key: Key, _ response: () -> Shared) {
        guard let flight = flights.withLock({ $0.removeValue(forKey: key) }) else { return }
        // Followers join under the lock, so once the flight is out of the table their count is final.
        if flight.followers.load(ordering: .relaxed) > 0 {
            flight.result.set(response())
        }
    }
}
