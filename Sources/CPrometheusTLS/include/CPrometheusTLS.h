// A narrow, non-blocking TLS layer over the system's OpenSSL (Debian's libssl-dev), for the
// built-in server and the Pushgateway client. Swift sees opaque pointers and plain integers only:
// OpenSSL's macros and its many types never cross into Swift.
#ifndef C_PROMETHEUS_TLS_H
#define C_PROMETHEUS_TLS_H

#include <stddef.h>

/// Which input a failed context set-up was about, so the error can name the file.
enum {
    PROMETHEUS_TLS_ROLE_NONE = 0,
    PROMETHEUS_TLS_ROLE_CERTIFICATE = 1,
    PROMETHEUS_TLS_ROLE_PRIVATE_KEY = 2,
    PROMETHEUS_TLS_ROLE_CA_FILE = 3,
    PROMETHEUS_TLS_ROLE_CA_DIRECTORY = 4,
};

/// Results of the non-blocking calls besides a byte count or success.
enum {
    PROMETHEUS_TLS_ERROR = -1,
    PROMETHEUS_TLS_WANT_READ = -2,
    PROMETHEUS_TLS_WANT_WRITE = -3,
};

/// A server context: certificate chain and key (PEM), protocol versions from `minimum_version` (12
/// or 13: TLS 1.2 or 1.3) to `maximum_version` (12 or 13; 0: no limit), and client certificates:
/// `client_auth` 0 not asked for, 1 optional, 2 required, checked against `ca_file` and/or
/// `ca_directory` (either may be NULL). NULL on failure, with the failing input in `*failed_role`
/// and OpenSSL's reason in `error`.
void *prometheus_tls_server_context(const char *certificate_file, const char *key_file, const char *ca_file,
                                    const char *ca_directory, int client_auth, int minimum_version,
                                    int maximum_version, int *failed_role, char *error, size_t error_capacity);

/// A client context: verifies the server against `ca_file`/`ca_directory` (both NULL: the
/// system's store) unless `verify` is 0, and presents `certificate_file`/`key_file` when given.
void *prometheus_tls_client_context(const char *ca_file, const char *ca_directory, const char *certificate_file,
                                    const char *key_file, int verify, int minimum_version, int *failed_role,
                                    char *error, size_t error_capacity);

/// Releases a context (sessions made from it keep their own reference).
void prometheus_tls_context_free(void *context);

/// A session on connected socket `fd`; a client session sends `server_name` (SNI) and, when the
/// context verifies, checks the certificate against it. NULL when out of memory. Sending never
/// raises SIGPIPE.
void *prometheus_tls_session(void *context, int fd, int is_server, const char *server_name);

/// Releases a session (does not close the socket).
void prometheus_tls_session_free(void *session);

/// Advances the handshake: 1 when done, or WANT_READ, WANT_WRITE, ERROR.
int prometheus_tls_handshake(void *session);

/// Reads decrypted bytes: a count, 0 when the peer closed, or WANT_READ, WANT_WRITE, ERROR.
int prometheus_tls_read(void *session, void *buffer, int capacity);

/// Writes bytes (partial writes allowed): a count, or WANT_READ, WANT_WRITE, ERROR.
int prometheus_tls_write(void *session, const void *buffer, int count);

/// Sends close_notify, without waiting for the peer's.
void prometheus_tls_shutdown(void *session);

/// Whether the peer presented a certificate that verified.
int prometheus_tls_peer_verified(void *session);

/// The negotiated protocol ("TLSv1.3").
const char *prometheus_tls_protocol(void *session);

/// The reason of the latest failure on this thread (OpenSSL's error queue, then the verify result),
/// emptied after reading.
void prometheus_tls_last_error(void *session, char *error, size_t error_capacity);

#endif
