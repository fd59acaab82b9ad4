// Atomic operations on raw memory for PrometheusClient.
//
// Swift's `Synchronization.Atomic` must be stored inline in a Swift value, but multiprocess mode keeps
// its values inside memory-mapped files, so the hot path needs atomics that work on any aligned
// address. These are `static inline` so that the optimizer inlines them into the Swift callers: an
// increment compiles to one `lock cmpxchg` loop with no call.
#ifndef C_PROMETHEUS_SUPPORT_H
#define C_PROMETHEUS_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "CPrometheusGzip.h"

/// Whether `count` bytes at `lhs` and `rhs` are equal. The compiler's builtin, so that this header
/// includes no C library header and re-exports nothing of it to Swift.
static inline int prometheus_bytes_equal(const void *lhs, const void *rhs, size_t count) {
    return count == 0 || __builtin_memcmp(lhs, rhs, count) == 0;
}

/// Orders `count` bytes at `lhs` and `rhs` as memcmp does (negative, zero, positive).
static inline int prometheus_bytes_compare(const void *lhs, const void *rhs, size_t count) {
    return count == 0 ? 0 : __builtin_memcmp(lhs, rhs, count);
}

/// Adds `delta` to the double at `address` (8-byte aligned) with a compare-and-swap loop.
static inline void prometheus_atomic_add_double(double *address, double delta) {
    uint64_t *bits = (uint64_t *)address;
    uint64_t expected = __atomic_load_n(bits, __ATOMIC_RELAXED);
    for (;;) {
        double current;
        __builtin_memcpy(&current, &expected, sizeof current);
        double next = current + delta;
        uint64_t desired;
        __builtin_memcpy(&desired, &next, sizeof desired);
        if (__atomic_compare_exchange_n(bits, &expected, desired, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            return;
        }
    }
}

/// Replaces the double at `address` with `value` if `value` is larger (NaN never wins).
static inline void prometheus_atomic_max_double(double *address, double value) {
    uint64_t *bits = (uint64_t *)address;
    uint64_t expected = __atomic_load_n(bits, __ATOMIC_RELAXED);
    for (;;) {
        double current;
        __builtin_memcpy(&current, &expected, sizeof current);
        if (!(value > current)) {
            return;
        }
        uint64_t desired;
        __builtin_memcpy(&desired, &value, sizeof desired);
        if (__atomic_compare_exchange_n(bits, &expected, desired, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            return;
        }
    }
}

/// Stores `value` into the double at `address` atomically (no torn 8-byte write).
static inline void prometheus_atomic_store_double(double *address, double value) {
    uint64_t bits;
    __builtin_memcpy(&bits, &value, sizeof bits);
    __atomic_store_n((uint64_t *)address, bits, __ATOMIC_RELAXED);
}

/// Stores `value` into the double at `address` with release ordering: a reader that loads it with
/// acquire ordering also sees every earlier write (used for a mostrecent gauge's timestamp, which is
/// stored after its value).
static inline void prometheus_atomic_store_double_release(double *address, double value) {
    uint64_t bits;
    __builtin_memcpy(&bits, &value, sizeof bits);
    __atomic_store_n((uint64_t *)address, bits, __ATOMIC_RELEASE);
}

/// Loads the double at `address` atomically.
static inline double prometheus_atomic_load_double(const double *address) {
    uint64_t bits = __atomic_load_n((const uint64_t *)address, __ATOMIC_RELAXED);
    double value;
    __builtin_memcpy(&value, &bits, sizeof value);
    return value;
}

/// Stores a 32-bit integer with release ordering: every write made before it is visible to a reader
/// that observes the new value. Used to publish a file's `used` header after the entry bytes.
static inline void prometheus_atomic_store_int32_release(int32_t *address, int32_t value) {
    __atomic_store_n(address, value, __ATOMIC_RELEASE);
}

/// Loads a 32-bit integer with acquire ordering.
static inline int32_t prometheus_atomic_load_int32_acquire(const int32_t *address) {
    return __atomic_load_n(address, __ATOMIC_ACQUIRE);
}

/// Adds `delta` to the 64-bit integer at `address` (8-byte aligned): one locked add, no retry loop.
/// In-process counters keep their whole increments here, beside their double.
static inline void prometheus_atomic_add_int64(int64_t *address, int64_t delta) {
    __atomic_fetch_add(address, delta, __ATOMIC_RELAXED);
}

/// Loads the 64-bit integer at `address` atomically.
static inline int64_t prometheus_atomic_load_int64(const int64_t *address) {
    return __atomic_load_n(address, __ATOMIC_RELAXED);
}

/// Stores `value` into the 64-bit integer at `address` atomically.
static inline void prometheus_atomic_store_int64(int64_t *address, int64_t value) {
    __atomic_store_n(address, value, __ATOMIC_RELAXED);
}

/// Stores `value` into the 64-bit integer at `address` with release ordering: a reader that loads
/// it with acquire ordering sees every write made before.
static inline void prometheus_atomic_store_int64_release(int64_t *address, int64_t value) {
    __atomic_store_n(address, value, __ATOMIC_RELEASE);
}

/// Replaces the 64-bit integer at `address` with `desired` if it equals `expected`; returns whether
/// it did (sequentially consistent).
static inline bool prometheus_atomic_compare_exchange_int64(int64_t *address, int64_t expected, int64_t desired) {
    return __atomic_compare_exchange_n(address, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/// Adds `delta` to the 64-bit integer at `address`, sequentially consistent with every other such
/// operation (for counts of writers in flight that another thread waits on).
static inline void prometheus_atomic_add_int64_seq_cst(int64_t *address, int64_t delta) {
    __atomic_fetch_add(address, delta, __ATOMIC_SEQ_CST);
}

/// Loads the 64-bit integer at `address`, sequentially consistent.
static inline int64_t prometheus_atomic_load_int64_seq_cst(const int64_t *address) {
    return __atomic_load_n(address, __ATOMIC_SEQ_CST);
}

/// A full memory fence.
static inline void prometheus_memory_fence(void) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#endif
