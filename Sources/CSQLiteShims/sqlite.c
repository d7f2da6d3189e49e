#include "tg_sqlite.h"

sqlite3_destructor_type tg_sqlite3_transient(void) {
    return SQLITE_TRANSIENT;
}
