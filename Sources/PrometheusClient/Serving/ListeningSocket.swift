#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A bound, listening TCP socket: what ``HTTPServer`` accepts connections on.
///
/// Pre-fork servers bind one before forking and let every worker serve it (see the `prefork-demo`
/// executable): the kernel hands each connection to one of the processes waiting on it. The socket
/// is non-blocking so that workers that lose the race for a connection simply go back to waiting.
public struct ListeningSocket: Sendable, Hashable {
    /// The file descriptor.
    public let fileDescriptor: Int32
    /// The bound port (the kernel's choice when 0 was requested).
    public let port: Int
    /// The address it was bound to, as given.
    public let address: String

    /// Binds and listens on `address` and `port`; `port` 0 picks an ephemeral port. The address is
    /// resolved with `getaddrinfo(AI_PASSIVE)`, so IPv4 (`127.0.0.1`, `0.0.0.0`), IPv6 (`::1`, `::`)
    /// and host names work. The descriptor is close-on-exec.
    ///
    /// - Throws: ``ServingError/addressResolution(address:port:reason:)`` when the address does not
    ///   resolve, ``ServingError/bindFailed(address:port:errno:)`` when no resolved address can be
    ///   bound (e.g. the port is taken), ``ServingError/invalidOption(name:reason:)`` for a port
    ///   outside 0...65535.
    public static func bind(address: String, port: Int, backlog: Int32 = 128) throws(ServingError)
        -> ListeningSocket
    {
        guard (0...65535).contains(port) else {
            throw .invalidOption(name: "port", reason: "must be between 0 and 65535, got \(port)")
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let host = address.isEmpty ? nil : address
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            throw .addressResolution(address: address, port: port, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = EADDRNOTAVAIL
        var current: UnsafeMutablePointer<addrinfo>? = list
        while let info = current {
            current = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd < 0 {
                lastError = errno
                continue
            }
            var yes: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 || listen(fd, backlog) != 0 {
                lastError = errno
                Glibc.close(fd)
                continue
            }
            do {
                return try ListeningSocket(adopting: fd, address: address)
            } catch {
                Glibc.close(fd)
                throw error
            }
        }
        throw .bindFailed(address: address, port: port, errno: lastError)
    }

    /// Adopts an already listening socket, e.g. one inherited from a parent process. The socket is
    /// made non-blocking.
    ///
    /// - Throws: ``ServingError/socketFailed(operation:errno:)`` when `fileDescriptor` is not a
    ///   bound socket.
    public init(adopting fileDescriptor: Int32, address: String = "") throws(ServingError) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fileDescriptor, $0, &length) }
        }
        guard status == 0 else { throw .socketFailed(operation: "getsockname", errno: errno) }
        let flags = fcntl(fileDescriptor, F_GETFL)
        guard flags >= 0, fcntl(fileDescriptor, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw .socketFailed(operation: "fcntl(O_NONBLOCK)", errno: errno)
        }
        let port: UInt16
        switch Int32(storage.ss_family) {
        case AF_INET:
            port = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            }
        case AF_INET6:
            port = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
        default:
            throw .socketFailed(operation: "getsockname (not an IP socket)", errno: EAFNOSUPPORT)
        }
        self.fileDescriptor = fileDescriptor
        self.port = Int(port)
        self.address = address
    }

    /// Closes the socket. Connections already accepted are unaffected.
    public func close() {
        _ = Glibc.close(fileDescriptor)
    }
}
