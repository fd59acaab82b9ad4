// System shims for the HTTP server and the pre-fork demo: calls that Swift cannot reach directly
// (variadic `prctl`, the packed `epoll_event`) or that glibc only declares under _GNU_SOURCE
// (`accept4`).
#ifndef C_PROMETHEUS_SERVING_H
#define C_PROMETHEUS_SERVING_H

#include <stdint.h>

/// accept4(fd, NULL, NULL, SOCK_CLOEXEC): the new descriptor is close-on-exec from birth, so a
/// process spawned concurrently by another thread never inherits a client connection.
int prometheus_accept_cloexec(int fd);

/// prctl(PR_SET_PDEATHSIG, signal): the kernel sends `signal` to this process when the thread that
/// created it exits. Returns 0, or -1 with errno set (and -1 with ENOSYS off Linux).
int prometheus_set_parent_death_signal(int signal);

/// epoll_create1(EPOLL_CLOEXEC).
int prometheus_epoll_create(void);

/// epoll_ctl with `events` and a 64-bit `token` (epoll_event is packed on x86-64, which Swift's
/// importer does not lay out; only C touches it). `op`: 1 add, 2 modify, 3 delete.
int prometheus_epoll_control(int epoll_fd, int op, int fd, uint32_t events, uint64_t token);

/// epoll_wait into parallel arrays of tokens and event masks. Returns the count, or -1 with errno.
int prometheus_epoll_wait(int epoll_fd, uint64_t *tokens, uint32_t *events, int capacity, int timeout_ms);

/// The epoll event bits, for Swift (the enum constants are not all importable as plain integers).
enum {
    PROMETHEUS_EPOLLIN = 0x001,
    PROMETHEUS_EPOLLOUT = 0x004,
    PROMETHEUS_EPOLLERR = 0x008,
    PROMETHEUS_EPOLLHUP = 0x010,
    PROMETHEUS_EPOLLRDHUP = 0x2000,
    PROMETHEUS_EPOLLEXCLUSIVE = 1u << 28,
};

/// eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK).
int prometheus_eventfd_create(void);


#endif
