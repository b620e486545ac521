/*
 * Where the control socket lives and whether that place is private: the
 * rules are in channel.h. /tmp is shared by every user, so the checks are
 * made on the directory itself, after mkdir, with lstat: anyone may have
 * made that name first (a directory of their own, or a symbolic link to
 * one), and /tmp's sticky bit keeps them from swapping it afterwards.
 */
#define _GNU_SOURCE /* lstat in C99 */
#include "channel.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

int heapmin__channel_dir(char *dir, size_t size, const char *xdg, uid_t uid,
                         int create, char *err, size_t len)
{
    struct stat st;
    int n;

    /* A process that changed its user after start-up keeps the old
     * user's XDG_RUNTIME_DIR, which is not its own: /tmp then. */
    if (xdg != NULL && xdg[0] == '/' && stat(xdg, &st) == 0 && st.st_uid == uid)
        n = snprintf(dir, size, "%s/heapmin", xdg);
    else
        n = snprintf(dir, size, "/tmp/heapmin-%lu", (unsigned long)uid);
    if (n < 0 || (size_t)n >= size) {
        snprintf(err, len, "XDG_RUNTIME_DIR is too long");
        return -1;
    }
    if (create && mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, len, "cannot make %s: %s", dir, strerror(errno));
        return -1;
    }
    if (lstat(dir, &st) != 0) {
        int e = errno; /* ENOENT: no agent made it; callers ask */
        snprintf(err, len, "%s: %s", dir, strerror(e));
        errno = e;
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, len, "%s is not a directory (a symbolic link?)", dir);
        return -1;
    }
    if (st.st_uid != uid) {
        snprintf(err, len, "%s belongs to uid %lu, not %lu", dir,
                 (unsigned long)st.st_uid, (unsigned long)uid);
        return -1;
    }
    if ((st.st_mode & 077) != 0) {
        snprintf(err, len, "%s is open to others (mode %04o; must be 0700)",
                 dir, (unsigned)(st.st_mode & 07777));
        return -1;
    }
    return 0;
}

int heapmin__channel_path(char *path, size_t size, const char *dir, pid_t pid)
{
    struct sockaddr_un a;
    int n = snprintf(path, size, "%s/%ld.sock", dir, (long)pid);

    return n < 0 || (size_t)n >= size || (size_t)n >= sizeof a.sun_path ? -1
                                                                        : 0;
}

int heapmin__channel_places(const char *xdg, uid_t uid, const char *places[3],
                            char *usual, size_t size)
{
    int n = 0;

    /* First where the agent's own rule puts it. */
    places[n++] = xdg;
    snprintf(usual, size, "/run/user/%lu", (unsigned long)uid);
    if (xdg == NULL || strcmp(xdg, usual) != 0)
        places[n++] = usual;
    if (xdg != NULL)
        places[n++] = NULL;
    return n;
}
