// See CPrometheusLifecycle.h.
#define _GNU_SOURCE
#include "CPrometheusLifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
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
