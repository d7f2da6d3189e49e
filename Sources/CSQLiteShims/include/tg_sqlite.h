#ifndef TG_SQLITE_H
#define TG_SQLITE_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer; it does not import into Swift.
sqlite3_destructor_type tg_sqlite3_transient(void);

#endif
