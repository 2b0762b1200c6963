#include <sqlite3.h>

// sqlite3_db_config is variadic, and Swift cannot call C variadic functions;
// this fixes the (int flag, int *result) form that the boolean options use.
static inline int csqlite_db_config_flag(sqlite3 *db, int op, int value) {
    return sqlite3_db_config(db, op, value, (int *)0);
}

// sqlite3_config is variadic too: this turns off SQLite's memory statistics, which
// otherwise take a global mutex on every allocation. Before the library initialises only
// (later it returns SQLITE_MISUSE and changes nothing).
static inline int csqlite_config_memstatus(int enabled) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, enabled);
}
