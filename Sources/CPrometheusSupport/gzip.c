#include "CPrometheusGzip.h"

#include <stdlib.h>
#include <zlib.h>

size_t prometheus_gzip_bound(size_t length) {
    // compressBound covers the zlib wrapper at the default window and memory level; the gzip wrapper
    // is 12 bytes longer. The margin keeps the bound safe whatever zlib version counts it.
    return (size_t)compressBound((uLong)length) + 18 + 32;
}

int prometheus_gzip_compress_into(const uint8_t *input, size_t length, int level, uint8_t *output, size_t capacity,
                                  size_t *outputLength) {
    z_stream stream = {0};
    // windowBits 15 + 16 selects the gzip wrapper instead of zlib's.
    int status = deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    if (status != Z_OK) return status;
    stream.next_in = (Bytef *)input;
    stream.avail_in = (uInt)length;
    stream.next_out = output;
    stream.avail_out = (uInt)capacity;
    status = deflate(&stream, Z_FINISH);
    *outputLength = stream.total_out;
    deflateEnd(&stream);
    if (status != Z_STREAM_END) return status == Z_OK ? Z_BUF_ERROR : status;
    return Z_OK;
}

int prometheus_gzip_compress(const uint8_t *input, size_t length, int level, uint8_t **output, size_t *outputLength) {
    size_t capacity = prometheus_gzip_bound(length);
    uint8_t *buffer = malloc(capacity);
    if (buffer == NULL) return Z_MEM_ERROR;
    int status = prometheus_gzip_compress_into(input, length, level, buffer, capacity, outputLength);
    if (status != Z_OK) {
        free(buffer);
        return status;
    }
    *output = buffer;
    return Z_OK;
}

int prometheus_gzip_decompress(const uint8_t *input, size_t length, size_t maximumLength, uint8_t **output,
                               size_t *outputLength) {
    z_stream stream = {0};
    // windowBits 15 + 32 detects gzip or zlib headers automatically.
    int status = inflateInit2(&stream, 15 + 32);
    if (status != Z_OK) return status;
    size_t capacity = length * 4 + 1024;
    if (capacity > maximumLength + 1) capacity = maximumLength + 1;
    uint8_t *buffer = malloc(capacity);
    if (buffer == NULL) {
        inflateEnd(&stream);
        return Z_MEM_ERROR;
    }
    stream.next_in = (Bytef *)input;
    stream.avail_in = (uInt)length;
    size_t produced = 0;
    for (;;) {
        stream.next_out = buffer + produced;
        stream.avail_out = (uInt)(capacity - produced);
        status = inflate(&stream, Z_NO_FLUSH);
        produced = capacity - stream.avail_out;
        if (produced > maximumLength) {
            status = -100;
            break;
        }
        if (status == Z_STREAM_END) {
            if (stream.avail_in == 0) break;
            // Another gzip member follows (concatenated members are valid gzip).
            status = inflateReset(&stream);
            if (status != Z_OK) break;
            continue;
        }
        if (status != Z_OK) {
            if (status == Z_BUF_ERROR && stream.avail_in == 0) status = Z_DATA_ERROR;  // truncated input
            break;
        }
        if (stream.avail_out == 0) {
            size_t grown = capacity * 2;
            if (grown > maximumLength + 1) grown = maximumLength + 1;
            if (grown <= capacity) {
                status = -100;
                break;
            }
            uint8_t *larger = realloc(buffer, grown);
            if (larger == NULL) {
                status = Z_MEM_ERROR;
                break;
            }
            buffer = larger;
            capacity = grown;
        }
    }
    inflateEnd(&stream);
    if (status != Z_STREAM_END) {
        free(buffer);
        return status == Z_OK ? Z_DATA_ERROR : status;
    }
    *output = buffer;
    *outputLength = produced;
    return Z_OK;
}

void prometheus_gzip_free(uint8_t *buffer) { free(buffer); }
