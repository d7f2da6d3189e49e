// Typed wrappers for the C APIs that Swift cannot call directly: variadic functions
// (curl_easy_setopt, MHD_start_daemon, MHD_get_daemon_info, sqlite3_config) and macros
// that do not import (SQLITE_TRANSIENT). One header per C library.
#ifndef CTOLLGATESHIMS_H
#define CTOLLGATESHIMS_H
#include "tg_curl.h"
#include "tg_mhd.h"
#include "tg_sqlite.h"
#endif
