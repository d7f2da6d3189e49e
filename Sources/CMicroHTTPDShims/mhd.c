#include "tg_mhd.h"
#include <errno.h>
#include <string.h>
#include <stddef.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <stdarg.h>

// MHD_OPTION_EXTERNAL_LOGGER takes a va_list, which Swift cannot read. libmicrohttpd 0.9.75 logs
// this exact format (transmit_error_response_len in connection.c) right before it queues one of
// its own HTML error responses (request line or headers too large, a malformed request line,
// header or chunk, a bad Content-Length), before any byte of it is written; the first argument
// is the status. Every other message is ignored.
static const char tg_mhd_own_error_format[] = "Error processing request (HTTP response code is %u";

static void tg_mhd_error_log(void *context, const char *format, va_list arguments) {
    const tg_mhd_options *o = context;
    if (o == NULL || o->own_error == NULL || format == NULL) return;
    if (strncmp(format, tg_mhd_own_error_format, sizeof tg_mhd_own_error_format - 1) != 0) return;
    va_list copy;
    va_copy(copy, arguments);
    unsigned int status = va_arg(copy, unsigned int);
    va_end(copy);
    o->own_error(o->own_error_context, status);
}

struct MHD_Daemon *tg_mhd_start_daemon(const tg_mhd_options *o,
                                       MHD_AccessHandlerCallback handler,
                                       void *handler_context) {
    struct MHD_OptionItem items[16];
    int n = 0;
    uint16_t port = 0;
    if (o->own_error != NULL) {
        // First, or libmicrohttpd prints the messages of the options before it on stderr.
        // The options struct is the logger's context: the caller keeps it until the daemon stopped.
        items[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)tg_mhd_error_log, (void *)o };
    }
    if (o->listen_fd >= 0) {
        items[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, o->listen_fd, NULL };
    } else if (o->address != NULL) {
        if (o->address->sa_family == AF_INET) {
            port = ntohs(((const struct sockaddr_in *)o->address)->sin_port);
        } else if (o->address->sa_family == AF_INET6) {
            port = ntohs(((const struct sockaddr_in6 *)o->address)->sin6_port);
        }
        items[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, (void *)o->address };
    }
    items[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)o->connection_timeout, NULL };
    items[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
        (intptr_t)(o->connection_limit > 0 ? o->connection_limit : (unsigned int)FD_SETSIZE - 4), NULL };
    if (o->thread_pool_size > 1) {
        items[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)o->thread_pool_size, NULL };
    }
    items[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (intptr_t)(o->connection_memory_limit > 0 ? o->connection_memory_limit : (size_t)(32 * 1024)), NULL };
    items[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_BACKLOG_SIZE,
        (intptr_t)(o->listen_backlog > 0 ? o->listen_backlog : 511u), NULL };
    if (o->completed != NULL) {
        items[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)o->completed, o->completed_context };
    }
    if (o->connection_notify != NULL) {
        items[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)o->connection_notify,
                                              o->connection_notify_context };
    }
    if (o->request_line != NULL) {
        items[n++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)o->request_line,
                                              o->request_line_context };
    }
    unsigned int flags = o->flags;
    items[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
    if (o->own_error != NULL) flags |= MHD_USE_ERROR_LOG;
    return MHD_start_daemon(flags, port, NULL, NULL, handler, handler_context,
                            MHD_OPTION_ARRAY, items, MHD_OPTION_END);
}

int tg_mhd_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : info->connect_fd;
}

uint64_t tg_socket_bytes_received(int fd) {
    struct tcp_info info;
    socklen_t length = sizeof info;
    memset(&info, 0, sizeof info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return 0;
    if (length < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received) return 0;
    return info.tcpi_bytes_received;
}

int tg_mhd_listen(const char *host, uint16_t port, int backlog, int *error_out) {
    struct sockaddr_storage storage;
    socklen_t length;
    int family;
    memset(&storage, 0, sizeof storage);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&storage;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&storage;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        family = AF_INET;
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        length = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        family = AF_INET6;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        length = sizeof *v6;
    } else {
        *error_out = EINVAL;
        return -1;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error_out = errno;
        return -1;
    }
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) ||
        bind(fd, (struct sockaddr *)&storage, length) != 0 ||
        listen(fd, backlog > 0 ? backlog : 511) != 0) {
        *error_out = errno;
        close(fd);
        return -1;
    }
    *error_out = 0;
    return fd;
}

uint16_t tg_mhd_socket_port(int fd) {
    struct sockaddr_storage storage;
    socklen_t length = sizeof storage;
    if (getsockname(fd, (struct sockaddr *)&storage, &length) != 0) return 0;
    if (storage.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&storage)->sin_port);
    if (storage.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&storage)->sin6_port);
    return 0;
}
