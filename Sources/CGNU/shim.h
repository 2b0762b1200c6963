// glibc's GNU extensions that Swift's Glibc module leaves out (declared only under
// _GNU_SOURCE): file flags and process calls, for Storage and CertificateFiles. Not by
// defining _GNU_SOURCE here: the headers would then define types (fd_set…) otherwise
// than Swift's Glibc module does, and the two modules clash.
#include <fcntl.h>
#include <spawn.h>

// Declared here as glibc declares them under _GNU_SOURCE.
int pipe2(int fds[2], int flags);
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

// Writes go from the caller's (aligned) memory straight to the disk, not through the page cache.
// (fcntl.h defines O_DIRECT only under _GNU_SOURCE, as __O_DIRECT always.)
static inline int cgnu_o_direct(void) { return __O_DIRECT; }

// A pipe whose two descriptors close at exec from the start: no child spawned meanwhile
// by another thread can inherit them. 0, or -1 with errno set.
static inline int cgnu_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

// The child closes every descriptor from `from` on (those it was not given on purpose).
static inline int cgnu_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
