// See CPrometheusLifecycle.h.
#define _GNU_SOURCE
#include "CPrometheusLifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static struct flock prometheus_whole_file_lock(void) {
    struct flock lock;
    memset(&lock, 0, sizeof lock);
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = 0;
    lock.l_len = 0;
    return lock;
}

int prometheus_ofd_try_lock_exclusive(int fd) {
    struct flock lock = prometheus_whole_file_lock();
    return fcntl(fd, F_OFD_SETLK, &lock);
}

int prometheus_ofd_is_locked(int fd) {
    struct flock lock = prometheus_whole_file_lock();
    if (fcntl(fd, F_OFD_GETLK, &lock) != 0) {
        return -1;
    }
    return lock.l_type == F_UNLCK ? 0 : 1;
}

int prometheus_pidfd_open(int pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

int prometheus_filesystem_type(const char *path, long *type) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    *type = (long)info.f_type;
    return 0;
}

long prometheus_copy_own_memory(void *const *destinations, const void *const *sources, const unsigned long *lengths,
                                unsigned long count) {
    if (count > 1024) {
        errno = EINVAL;
        return -1;
    }
    struct iovec local[1024];
    struct iovec remote[1024];
    for (unsigned long index = 0; index < count; index++) {
        local[index].iov_base = destinations[index];
        local[index].iov_len = lengths[index];
        remote[index].iov_base = (void *)sources[index];
        remote[index].iov_len = lengths[index];
    }
    return (long)process_vm_readv(getpid(), local, count, remote, count, 0);
}
