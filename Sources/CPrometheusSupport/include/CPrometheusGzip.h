// gzip compression and decompression through the system zlib, for HTTP responses, pushes and parsers.
// zlib's own header stays inside gzip.c so that Swift code never needs it.
#ifndef C_PROMETHEUS_GZIP_H
#define C_PROMETHEUS_GZIP_H

#include <stddef.h>
#include <stdint.h>

/// Compresses `length` bytes into a gzip member. On success returns 0 and stores a malloc'ed buffer in
/// `*output` (free it with `prometheus_gzip_free`) and its length in `*outputLength`; otherwise returns a zlib error code.
int prometheus_gzip_compress(const uint8_t *input, size_t length, int level, uint8_t **output, size_t *outputLength);

/// The most bytes a gzip member of `length` input bytes can take.
size_t prometheus_gzip_bound(size_t length);

/// Compresses `length` bytes into a gzip member written to `output`, which has room for `capacity`
/// bytes (`prometheus_gzip_bound(length)` always suffices). Returns 0 and stores the member's length in
/// `*outputLength`, or a zlib error code.
int prometheus_gzip_compress_into(const uint8_t *input, size_t length, int level, uint8_t *output, size_t capacity,
                                  size_t *outputLength);

/// Decompresses gzip data (one or more members). Returns 0 on success with a malloc'ed buffer as above,
/// -100 when the result would exceed `maximumLength`, or a zlib error code for invalid input.
int prometheus_gzip_decompress(const uint8_t *input, size_t length, size_t maximumLength, uint8_t **output,
                               size_t *outputLength);

/// Frees a buffer returned by the functions above.
void prometheus_gzip_free(uint8_t *buffer);

#endif
