import Foundation
import PrometheusClient
import PrometheusSystem

extension Pushgateway {
    /// `["instance": <address>]` where the address is the local IP the system would use to reach
    /// `host` (by default the loopback name `localhost`, which makes this Python's
    /// `instance_ip_grouping_key()`: on Linux almost always `127.0.0.1`).
    ///
    /// Nothing is sent: a UDP socket is "connected" to `host` and its local address read back. Pass
    /// the gateway's host (see ``instanceIPGroupingKey()``) to get the address the gateway sees.
    ///
    /// - Throws: ``PushError/transportFailed(url:reason:)`` when `host` cannot be resolved or no
    ///   route leads there.
    public static func instanceIPGroupingKey(reaching host: String = "localhost") throws(PushError) -> [String: String]
    {
        let addresses: [SocketAddress]
        do {
            addresses = try SocketAddress.resolve(host: host, port: 9, datagram: true)
        } catch {
            throw .transportFailed(url: host, reason: "cannot resolve: \(error)")
        }
        var lastReason = "no address"
        for address in addresses {
            do throws(SocketFailure) {
                let socket: Socket
                do {
                    socket = try Socket.make(for: address)
                } catch {
                    throw .system(error)
                }
                defer { socket.close() }
                do {
                    _ = try socket.connect(to: address)
                } catch {
                    throw .system(error)
                }
                return ["instance": try socket.localEndpoint().address]
            } catch {
                switch error {
                case .resolution(let reason): lastReason = reason
                case .system(let errno): lastReason = "\(errno)"
                }
            }
        }
        throw .transportFailed(url: host, reason: "no route: \(lastReason)")
    }

    /// `["instance": <address>]` with the local IP this machine uses to reach this gateway, the
    /// address the gateway sees the push come from.
    ///
    /// - Throws: ``PushError/transportFailed(url:reason:)`` when the gateway's host cannot be resolved
    ///   or no route leads there.
    public func instanceIPGroupingKey() throws(PushError) -> [String: String] {
        try Self.instanceIPGroupingKey(reaching: URL(string: baseURL)?.host ?? "localhost")
    }
}
