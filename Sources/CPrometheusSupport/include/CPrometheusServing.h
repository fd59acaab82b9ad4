// System shims for the HTTP server and the pre-fork demo: calls that Swift cannot reach directly
// (variadic `prctl`) or that glibc only declares under _GNU_SOURCE (`accept4`, `pipe2`).
#ifndef C_PROMETHEUS_SERVING_H
#define C_PROMETHEUS_SERVING_H

/// accept4(fd, NULL, NULL, SOCK_CLOEXEC): the new descriptor is close-on-exec from birth, so a
/// process spawned concurrently by another thread never inherits a client connection.
int prometheus_accept_cloexec(int fd);

/// pipe2(fds, O_CLOEXEC | O_NONBLOCK).
int prometheus_pipe_cloexec_nonblocking(int fds[2]);

/// prctl(PR_SET_PDEATHSIG, signal): the kernel sends `signal` to this process when the thread that
/// created it exits. Returns 0, or -1 with errno set (and -1 with ENOSYS off Linux).
int prometheus_set_parent_death_signal(int signal);

#endif
