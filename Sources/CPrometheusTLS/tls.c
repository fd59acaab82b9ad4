// See CPrometheusTLS.h.
#include "CPrometheusTLS.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static void copy_error(char *error, size_t capacity, const char *fallback) {
    if (capacity == 0) {
        return;
    }
    unsigned long code = ERR_get_error();
    if (code != 0) {
        ERR_error_string_n(code, error, capacity);
    } else {
        snprintf(error, capacity, "%s", fallback);
    }
    ERR_clear_error();
}

// The socket BIO writes with write(2), which raises SIGPIPE when the peer has gone; this one sends
// with MSG_NOSIGNAL, so a vanished client cannot kill the process.
static int bio_write(BIO *bio, const char *data, int count) {
    int fd = (int)(intptr_t)BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    ssize_t sent;
    do {
        sent = send(fd, data, (size_t)count, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        BIO_set_retry_write(bio);
    }
    return (int)sent;
}

static int bio_read(BIO *bio, char *data, int capacity) {
    int fd = (int)(intptr_t)BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    ssize_t received;
    do {
        received = recv(fd, data, (size_t)capacity, MSG_DONTWAIT);
    } while (received < 0 && errno == EINTR);
    if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        BIO_set_retry_read(bio);
    }
    return (int)received;
}

static long bio_control(BIO *bio, int command, long number, void *pointer) {
    (void)bio;
    (void)number;
    (void)pointer;
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *bio) {
    BIO_set_init(bio, 1);
    return 1;
}

static BIO_METHOD *shared_method = NULL;
static pthread_once_t shared_method_once = PTHREAD_ONCE_INIT;

static void make_socket_method(void) {
    BIO_METHOD *made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "prometheus-socket");
    if (made == NULL) {
        return;
    }
    BIO_meth_set_write(made, bio_write);
    BIO_meth_set_read(made, bio_read);
    BIO_meth_set_ctrl(made, bio_control);
    BIO_meth_set_create(made, bio_create);
    shared_method = made;
}

static BIO_METHOD *socket_method(void) {
    pthread_once(&shared_method_once, make_socket_method);
    return shared_method;
}

// Versions are 12 (TLS 1.2) or 13 (TLS 1.3); a maximum of 0 leaves the highest OpenSSL supports.
static int set_versions(SSL_CTX *context, int minimum_version, int maximum_version) {
    if (SSL_CTX_set_min_proto_version(context, minimum_version >= 13 ? TLS1_3_VERSION : TLS1_2_VERSION) != 1) {
        return 0;
    }
    if (maximum_version == 0) {
        return 1;
    }
    return SSL_CTX_set_max_proto_version(context, maximum_version >= 13 ? TLS1_3_VERSION : TLS1_2_VERSION);
}

static int load_chain_and_key(SSL_CTX *context, const char *certificate_file, const char *key_file,
                              int *failed_role, char *error, size_t error_capacity) {
    if (SSL_CTX_use_certificate_chain_file(context, certificate_file) != 1) {
        *failed_role = PROMETHEUS_TLS_ROLE_CERTIFICATE;
        copy_error(error, error_capacity, "cannot read the certificate chain");
        return 0;
    }
    if (SSL_CTX_use_PrivateKey_file(context, key_file, SSL_FILETYPE_PEM) != 1) {
        *failed_role = PROMETHEUS_TLS_ROLE_PRIVATE_KEY;
        copy_error(error, error_capacity, "cannot read the private key");
        return 0;
    }
    if (SSL_CTX_check_private_key(context) != 1) {
        *failed_role = PROMETHEUS_TLS_ROLE_PRIVATE_KEY;
        copy_error(error, error_capacity, "the private key does not match the certificate");
        return 0;
    }
    return 1;
}

static int load_authorities(SSL_CTX *context, const char *ca_file, const char *ca_directory, int *failed_role,
                            char *error, size_t error_capacity) {
    if (ca_file != NULL && SSL_CTX_load_verify_locations(context, ca_file, NULL) != 1) {
        *failed_role = PROMETHEUS_TLS_ROLE_CA_FILE;
        copy_error(error, error_capacity, "cannot read the CA certificates");
        return 0;
    }
    if (ca_directory != NULL && SSL_CTX_load_verify_locations(context, NULL, ca_directory) != 1) {
        *failed_role = PROMETHEUS_TLS_ROLE_CA_DIRECTORY;
        copy_error(error, error_capacity, "cannot use the CA directory");
        return 0;
    }
    return 1;
}

void *prometheus_tls_server_context(const char *certificate_file, const char *key_file, const char *ca_file,
                                    const char *ca_directory, int client_auth, int minimum_version,
                                    int maximum_version, int *failed_role, char *error, size_t error_capacity) {
    *failed_role = PROMETHEUS_TLS_ROLE_NONE;
    ERR_clear_error();
    if (socket_method() == NULL) {
        copy_error(error, error_capacity, "cannot set up the socket BIO");
        return NULL;
    }
    SSL_CTX *context = SSL_CTX_new(TLS_server_method());
    if (context == NULL) {
        copy_error(error, error_capacity, "cannot create a TLS context");
        return NULL;
    }
    // Idle connections keep no read and write buffers (about 34 KiB each otherwise); renegotiation
    // is off (a client could otherwise make the server redo handshakes at will).
    SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (set_versions(context, minimum_version, maximum_version) != 1 ||
        !load_chain_and_key(context, certificate_file, key_file, failed_role, error, error_capacity)) {
        if (*failed_role == PROMETHEUS_TLS_ROLE_NONE) {
            copy_error(error, error_capacity, "cannot set the protocol versions");
        }
        SSL_CTX_free(context);
        return NULL;
    }
    if (client_auth > 0) {
        if (!load_authorities(context, ca_file, ca_directory, failed_role, error, error_capacity)) {
            SSL_CTX_free(context);
            return NULL;
        }
        if (ca_file != NULL) {
            // Tells clients which authorities are accepted, so they pick the matching certificate.
            STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca_file);
            if (names != NULL) {
                SSL_CTX_set_client_CA_list(context, names);
            }
        }
        int mode = SSL_VERIFY_PEER | (client_auth >= 2 ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
        SSL_CTX_set_verify(context, mode, NULL);
        static const unsigned char session_context[] = "prometheus-client-swift";
        SSL_CTX_set_session_id_context(context, session_context, sizeof(session_context) - 1);
    }
    ERR_clear_error();
    return context;
}

void *prometheus_tls_client_context(const char *ca_file, const char *ca_directory, const char *certificate_file,
                                    const char *key_file, int verify, int minimum_version, int *failed_role,
                                    char *error, size_t error_capacity) {
    *failed_role = PROMETHEUS_TLS_ROLE_NONE;
    ERR_clear_error();
    if (socket_method() == NULL) {
        copy_error(error, error_capacity, "cannot set up the socket BIO");
        return NULL;
    }
    SSL_CTX *context = SSL_CTX_new(TLS_client_method());
    if (context == NULL) {
        copy_error(error, error_capacity, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (set_versions(context, minimum_version, 0) != 1) {
        copy_error(error, error_capacity, "cannot set the minimum protocol version");
        SSL_CTX_free(context);
        return NULL;
    }
    if (certificate_file != NULL &&
        !load_chain_and_key(context, certificate_file, key_file != NULL ? key_file : certificate_file, failed_role,
                            error, error_capacity)) {
        SSL_CTX_free(context);
        return NULL;
    }
    if (verify) {
        if (ca_file == NULL && ca_directory == NULL) {
            if (SSL_CTX_set_default_verify_paths(context) != 1) {
                copy_error(error, error_capacity, "cannot load the system's CA certificates");
                SSL_CTX_free(context);
                return NULL;
            }
        } else if (!load_authorities(context, ca_file, ca_directory, failed_role, error, error_capacity)) {
            SSL_CTX_free(context);
            return NULL;
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, NULL);
    }
    ERR_clear_error();
    return context;
}

void prometheus_tls_context_free(void *context) {
    SSL_CTX_free((SSL_CTX *)context);
}

void *prometheus_tls_session(void *context, int fd, int is_server, const char *server_name) {
    SSL *session = SSL_new((SSL_CTX *)context);
    if (session == NULL) {
        return NULL;
    }
    BIO *bio = BIO_new(socket_method());
    if (bio == NULL) {
        SSL_free(session);
        return NULL;
    }
    BIO_set_data(bio, (void *)(intptr_t)fd);
    SSL_set_bio(session, bio, bio);
    if (is_server) {
        SSL_set_accept_state(session);
    } else {
        SSL_set_connect_state(session);
        if (server_name != NULL && server_name[0] != '\0') {
            SSL_set_tlsext_host_name(session, server_name);
            if (SSL_get_verify_mode(session) & SSL_VERIFY_PEER) {
                // An IP address is checked against the certificate's IP entries, a name against its
                // DNS entries.
                X509_VERIFY_PARAM *parameters = SSL_get0_param(session);
                if (X509_VERIFY_PARAM_set1_ip_asc(parameters, server_name) != 1) {
                    SSL_set1_host(session, server_name);
                }
            }
        }
    }
    return session;
}

void prometheus_tls_session_free(void *session) {
    SSL_free((SSL *)session);
}

static int outcome(SSL *session, int result) {
    switch (SSL_get_error(session, result)) {
    case SSL_ERROR_WANT_READ:
        return PROMETHEUS_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return PROMETHEUS_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    default:
        return PROMETHEUS_TLS_ERROR;
    }
}

int prometheus_tls_handshake(void *session) {
    ERR_clear_error();
    int result = SSL_do_handshake((SSL *)session);
    return result == 1 ? 1 : outcome((SSL *)session, result);
}

int prometheus_tls_read(void *session, void *buffer, int capacity) {
    ERR_clear_error();
    int result = SSL_read((SSL *)session, buffer, capacity);
    if (result > 0) {
        return result;
    }
    int mapped = outcome((SSL *)session, result);
    // A peer that closes without close_notify (most HTTP clients) is an end of stream too.
    if (mapped == PROMETHEUS_TLS_ERROR && result == 0) {
        return 0;
    }
    return mapped;
}

int prometheus_tls_write(void *session, const void *buffer, int count) {
    ERR_clear_error();
    int result = SSL_write((SSL *)session, buffer, count);
    return result > 0 ? result : outcome((SSL *)session, result);
}

void prometheus_tls_shutdown(void *session) {
    ERR_clear_error();
    if (SSL_is_init_finished((SSL *)session)) {
        SSL_shutdown((SSL *)session);
    }
    ERR_clear_error();
}

int prometheus_tls_peer_verified(void *session) {
    X509 *peer = SSL_get1_peer_certificate((SSL *)session);
    if (peer == NULL) {
        return 0;
    }
    X509_free(peer);
    return SSL_get_verify_result((SSL *)session) == X509_V_OK;
}

const char *prometheus_tls_protocol(void *session) {
    return SSL_get_version((SSL *)session);
}

void prometheus_tls_last_error(void *session, char *error, size_t error_capacity) {
    if (error_capacity == 0) {
        return;
    }
    long verify = session != NULL ? SSL_get_verify_result((SSL *)session) : X509_V_OK;
    unsigned long code = ERR_peek_error();
    if (code != 0) {
        ERR_error_string_n(code, error, error_capacity);
        if (verify != X509_V_OK) {
            size_t used = strlen(error);
            snprintf(error + used, error_capacity - used, " (certificate: %s)", X509_verify_cert_error_string(verify));
        }
    } else if (verify != X509_V_OK) {
        snprintf(error, error_capacity, "certificate verification failed: %s", X509_verify_cert_error_string(verify));
    } else {
        snprintf(error, error_capacity, "connection failed (%s)", errno != 0 ? strerror(errno) : "closed by peer");
    }
    ERR_clear_error();
}
