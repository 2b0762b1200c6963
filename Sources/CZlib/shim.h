#include <zlib.h>

// deflateInit/inflateInit are macros; Swift sees these functions instead.
static inline int cz_deflate_init(z_stream *s, int level) {
    return deflateInit(s, level);
}
static inline int cz_inflate_init(z_stream *s) {
    return inflateInit(s);
}
