/*
 * The control channel's rules, shared by the agent (which creates its
 * socket) and the heapmin command (which finds it):
 *
 * - The socket is DIR/PID.sock, DIR being $XDG_RUNTIME_DIR/heapmin when the
 *   agent's process has XDG_RUNTIME_DIR (an absolute path) owned by the
 *   user it runs as (its effective uid), else /tmp/heapmin-UID. A process
 *   that changes its user moves its socket there.
 * - DIR is made 0700 and must be a real directory (not a symbolic link),
 *   owned by the process's user and closed to everyone else; if it is not,
 *   the agent runs without a socket and the command refuses to connect.
 * - The agent checks every connection's peer credentials (its own user, or
 *   root) and the command checks that the socket is served by PID itself.
 */
#ifndef HEAPMIN_CONTROL_CHANNEL_H
#define HEAPMIN_CONTROL_CHANNEL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Puts the directory for user uid into dir (xdg: that process's
 * XDG_RUNTIME_DIR, or NULL). With create, makes it (mode 0700) if missing.
 * Then checks it as above. Returns 0, or -1 with a sentence in err.
 */
int heapmin__channel_dir(char *dir, size_t size, const char *xdg, uid_t uid,
                         int create, char *err, size_t len);

/* DIR/PID.sock into path; -1 when it does not fit a socket address. */
int heapmin__channel_path(char *path, size_t size, const char *dir, pid_t pid);

/*
 * Where to look for the socket of a process of user uid whose environment
 * names xdg (or NULL), as XDG_RUNTIME_DIR values for heapmin__channel_dir:
 * first xdg itself, where the agent made it by the same rule; then the
 * user's usual /run/user/UID (written into usual: a program that rewrites
 * its environment for its process title, as nginx and redis-server do,
 * hides the first) and NULL (/tmp/heapmin-UID), where not tried already.
 * Returns how many places were written (2 or 3).
 */
int heapmin__channel_places(const char *xdg, uid_t uid, const char *places[3],
                            char *usual, size_t size);

#endif
