// System shims for the multiprocess lifecycle: open file description locks and process descriptors,
// which glibc declares only under _GNU_SOURCE (F_OFD_*) or not at all (pidfd_open on older glibc),
// and the file system type of a directory.
#ifndef C_PROMETHEUS_LIFECYCLE_H
#define C_PROMETHEUS_LIFECYCLE_H

/// Takes an exclusive open-file-description lock (F_OFD_SETLK, F_WRLCK) on the whole file without
/// waiting. Returns 0 when taken, -1 with errno EAGAIN or EACCES when another description holds a
/// conflicting lock, -1 with another errno on failure. The lock lives as long as the open file
/// description: a forked child's copy of the descriptor shares it, and the kernel drops it when the
/// last descriptor of the description is closed, however the process ends.
int prometheus_ofd_try_lock_exclusive(int fd);

/// Asks whether another open file description holds a lock that would conflict with an exclusive
/// lock on the whole file (F_OFD_GETLK), without taking one. Returns 1 when locked, 0 when not,
/// -1 with errno set on failure.
int prometheus_ofd_is_locked(int fd);

/// pidfd_open(pid, 0): a descriptor that refers to exactly the process `pid` names now, and becomes
/// readable when that process ends (a later process with the same pid is a different process).
/// Returns the descriptor (close-on-exec), or -1 with errno set (ESRCH, ENOSYS before Linux 5.3).
int prometheus_pidfd_open(int pid);

/// statfs(path): stores the file system's type (f_type, its magic number) in `*type` and returns 0,
/// or returns -1 with errno set. Swift cannot call statfs directly: the struct and the function
/// share a name.
int prometheus_filesystem_type(const char *path, long *type);

/// process_vm_readv on this process: copies `count` source segments (`sources[i]`, `lengths[i]`
/// bytes) into the destinations of the same index. A source page that cannot be read (a mapping
/// past the end of its file) ends the copy with a short count, never a signal. Returns the bytes
/// copied, or -1 with errno set (EPERM where a seccomp profile forbids the call). `count` is at
/// most 1024 (IOV_MAX). glibc declares process_vm_readv only under _GNU_SOURCE.
long prometheus_copy_own_memory(void *const *destinations, const void *const *sources, const unsigned long *lengths,
                                unsigned long count);

#endif
