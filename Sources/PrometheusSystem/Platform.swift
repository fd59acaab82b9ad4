// The system layer speaks Linux: epoll, statfs magic numbers, open-file-description locks,
// /proc. Another system fails here, at the first file compiled, rather than in a hundred errors.
#if !os(Linux)
    #error("PrometheusClient supports Linux with glibc only (epoll, statfs, OFD locks, /proc)")
#endif
