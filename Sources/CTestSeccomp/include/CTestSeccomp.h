// A seccomp filter for the test worker: it makes one system call fail as a container runtime's
// profile would, so that a test can check what the library does where that call is forbidden.
#ifndef C_TEST_SECCOMP_H
#define C_TEST_SECCOMP_H

/// Makes process_vm_readv(2) fail with EPERM in this process from now on (seccomp, after
/// PR_SET_NO_NEW_PRIVS; inherited by its threads and children). Returns 0, or -1 with errno set.
int prometheus_test_forbid_process_vm_readv(void);

#endif
