#include <archive.h>
#include <archive_entry.h>

// AE_IFREG is a cast macro Swift drops; the regular-file type for archive_entry_set_filetype.
static inline unsigned int carchive_regular_file(void) {
    return AE_IFREG;
}
