#include "tg_sqlite.h"

sqlite3_destructor_type tg_sqlite3_transient(void) {
    return SQLITE_TRANSIENT;
}
int tg_sqlite3_config_serialized(void) {
    return sqlite3_config(SQLITE_CONFIG_SERIALIZED);
}
