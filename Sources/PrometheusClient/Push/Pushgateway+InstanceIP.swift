import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

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
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, "9", &hints, &list)
        guard status == 0, let first = list else {
            throw .transportFailed(url: host, reason: "cannot resolve: \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var lastReason = "no address"
        var current: UnsafeMutablePointer<addrinfo>? = first
        while let info = current {
            current = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastReason = String(cString: strerror(errno))
                continue
            }
            defer { close(fd) }
            guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
                lastReason = String(cString: strerror(errno))
                continue
            }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let named = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0 else {
                lastReason = String(cString: strerror(errno))
                continue
            }
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let converted = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    getnameinfo($0, length, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST)
                }
            }
            guard converted == 0 else {
                lastReason = String(cString: gai_strerror(converted))
                continue
            }
            return ["instance": String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)]
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
