#ifndef TG_MHD_H
#define TG_MHD_H
#include <sys/types.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>

// MHD_start_daemon takes its options as a variadic list ending in MHD_OPTION_END, which Swift
// cannot call. This typed form covers every option Tollgate sets; zero/NULL fields are left out.
typedef struct tg_mhd_options {
    unsigned int flags;                    // MHD_FLAG bits
    int listen_fd;                         // MHD_OPTION_LISTEN_SOCKET (-1 = let MHD bind `address`)
    const struct sockaddr *address;        // MHD_OPTION_SOCK_ADDR (IPv4 or IPv6), when listen_fd < 0
    unsigned int connection_timeout;       // MHD_OPTION_CONNECTION_TIMEOUT, seconds (0 = none)
    unsigned int connection_limit;         // MHD_OPTION_CONNECTION_LIMIT (0 = MHD default)
    unsigned int thread_pool_size;         // MHD_OPTION_THREAD_POOL_SIZE (0/1 = no pool)
    size_t connection_memory_limit;        // MHD_OPTION_CONNECTION_MEMORY_LIMIT (0 = 32 KiB)
    unsigned int listen_backlog;           // MHD_OPTION_LISTEN_BACKLOG_SIZE (0 = 511)
    MHD_RequestCompletedCallback completed;  // MHD_OPTION_NOTIFY_COMPLETED
    void *completed_context;
    MHD_NotifyConnectionCallback connection_notify;  // MHD_OPTION_NOTIFY_CONNECTION
    void *connection_notify_context;
    // MHD_OPTION_URI_LOG_CALLBACK: called once per request as soon as its request line is read.
    void *(*request_line)(void *context, const char *uri, struct MHD_Connection *connection);
    void *request_line_context;
    // Called on the thread that processes the connection whenever libmicrohttpd is about to
    // answer a request with its own (HTML) error response, with the status it chose (see
    // tg_mhd_error_log in mhd.c). Setting it turns on MHD_USE_ERROR_LOG.
    void (*own_error)(void *context, unsigned int status);
    void *own_error_context;
} tg_mhd_options;

struct MHD_Daemon *tg_mhd_start_daemon(const tg_mhd_options *options,
                                       MHD_AccessHandlerCallback handler,
                                       void *handler_context);

// MHD_get_connection_info is variadic: the connection's socket (-1 when unavailable).
int tg_mhd_connection_fd(struct MHD_Connection *connection);

// Bytes the kernel has received on a TCP socket so far (TCP_INFO tcpi_bytes_received), whether
// or not libmicrohttpd has read them yet; 0 when unavailable.
uint64_t tg_socket_bytes_received(int fd);

// Creates a listening TCP socket (close-on-exec, SO_REUSEADDR; IPv6 only for an IPv6 literal)
// bound to `host` (an IPv4 or IPv6 literal) and `port`, so that a failed bind reports its errno
// (EADDRINUSE, EACCES, …) instead of MHD_start_daemon's bare NULL.
// Returns the descriptor, or -1 with *error_out set to errno (EINVAL when `host` is no literal).
int tg_mhd_listen(const char *host, uint16_t port, int backlog, int *error_out);

// The local port of a bound socket (0 on failure).
uint16_t tg_mhd_socket_port(int fd);

#endif
