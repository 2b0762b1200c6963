#include <sqlite3.h>

// sqlite3_db_config is variadic, and Swift cannot call C variadic functions;
// this fixes the (int flag, int *result) form that the boolean options use.
static inline int csqlite_db_config_flag(sqlite3 *db, int op, int value) {
    return sqlite3_db_config(db, op, value, (int *)0);
}
