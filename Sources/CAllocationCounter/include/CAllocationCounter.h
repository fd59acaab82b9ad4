#ifndef C_ALLOCATION_COUNTER_H
#define C_ALLOCATION_COUNTER_H

/// Counts heap allocations of the process it is linked into, for the test worker that checks that a
/// scrape allocates nothing per series. Linking this target replaces malloc and its relatives for
/// the whole process with counting wrappers around glibc's own allocator; only test executables
/// link it.

/// Starts (nonzero) or stops (zero) counting.
void prometheus_count_allocations(int enabled);

/// The number of allocations counted since the last reset.
long prometheus_counted_allocations(void);

/// Sets the count back to zero.
void prometheus_reset_counted_allocations(void);

#endif
