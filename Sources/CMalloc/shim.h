// glibc's malloc tuning (malloc.h is not part of Swift's Glibc module).
#include <malloc.h>

// Buffers of up to `mmap_threshold` bytes come from the heap, and up to `trim_threshold`
// bytes of free memory stay at its top for the next one. 1 when both were set.
static inline int cm_keep_large_buffers(int mmap_threshold, int trim_threshold) {
    return mallopt(M_MMAP_THRESHOLD, mmap_threshold) && mallopt(M_TRIM_THRESHOLD, trim_threshold);
}
