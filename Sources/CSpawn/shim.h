// glibc's process calls that Swift's Glibc module leaves out (they are GNU extensions,
// declared only under _GNU_SOURCE): declared here as glibc declares them.
#include <fcntl.h>
#include <spawn.h>

int pipe2(int fds[2], int flags);
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

// A pipe whose two descriptors close at exec from the start: no child spawned meanwhile
// by another thread can inherit them. 0, or -1 with errno set.
static inline int cs_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

// The child closes every descriptor from `from` on (those it was not given on purpose).
static inline int cs_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
