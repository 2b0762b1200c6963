// File flags that Swift's Glibc module leaves out (they need _GNU_SOURCE).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>

// Writes go from the caller's (aligned) memory straight to the disk, not through the page cache.
static inline int cff_o_direct(void) { return O_DIRECT; }
