#include "tg_mhd.h"

struct MHD_Daemon *tg_mhd_start_daemon(const tg_mhd_options *o,
                                       MHD_AccessHandlerCallback handler,
                                       void *handler_context) {
    uint16_t port = 0;
    if (o->address != NULL) {
        if (o->address->sa_family == AF_INET) {
            port = ntohs(((const struct sockaddr_in *)o->address)->sin_port);
        } else if (o->address->sa_family == AF_INET6) {
            port = ntohs(((const struct sockaddr_in6 *)o->address)->sin6_port);
        }
    }
    return MHD_start_daemon(
        o->flags, port, NULL, NULL, handler, handler_context,
        MHD_OPTION_SOCK_ADDR, o->address,
        MHD_OPTION_CONNECTION_TIMEOUT, o->connection_timeout,
        MHD_OPTION_CONNECTION_LIMIT, o->connection_limit > 0 ? o->connection_limit : (unsigned int)FD_SETSIZE - 4,
        MHD_OPTION_THREAD_POOL_SIZE, o->thread_pool_size,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->connection_memory_limit > 0 ? o->connection_memory_limit : (size_t)(32 * 1024),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, o->listen_backlog > 0 ? o->listen_backlog : 511u,
        MHD_OPTION_NOTIFY_COMPLETED, o->completed, o->completed_context,
        MHD_OPTION_NOTIFY_CONNECTION, o->connection_notify, o->connection_notify_context,
        MHD_OPTION_END);
}

uint16_t tg_mhd_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

unsigned int tg_mhd_current_connections(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info == NULL ? 0 : info->num_connections;
}
