/*
 * Whether the program has room for one more thread: the agent's counts
 * against RLIMIT_NPROC (threads are tasks) and against the pids.max of
 * the program's cgroup and of every cgroup above it. Where either is
 * small, the agent takes none.
 *
 * Finding the program's cgroup means reading /proc/self/cgroup, which
 * costs a new process 45-80 us (its /proc directory is looked up for the
 * first time), about a tenth of a short process's life. So the
 * constructor looks only where a container's limit is seen without it:
 * at the root of a cgroup namespace (v2) or of a container's pids
 * hierarchy (v1). The whole walk comes on the trimmer's thread when it
 * begins (0.1 s later), which then ends if the room is small.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../src/posix/lines.h"
#include "room.h"

/* Below this limit the agent takes none of the program's room for
 * threads and processes; nor with fewer than MIN_FREE left under it. */
#define MIN_LIMIT 1024
#define MIN_FREE 64

/*
 * The pids controller's path for this process in /proc/self/cgroup, as
 * BASE/PATH in dir: cgroup v1's "N:pids:/PATH" (mounted at
 * /sys/fs/cgroup/pids) or else v2's "0::/PATH" (/sys/fs/cgroup). 0 or -1.
 */
static int pids_dir(char *dir, size_t size)
{
    struct heapmin__lines r;
    char *line;
    int n = -1;

    dir[0] = '\0';
    if (heapmin__lines_open(&r, "/proc/self/cgroup") != 0)
        return -1;
    while ((line = heapmin__lines_next(&r)) != NULL) {
        char *ctl = strchr(line, ':'), *path = ctl ? strchr(ctl + 1, ':') : 0;

        if (path == NULL)
            continue;
        *path++ = '\0';
        ctl++;
        if (strcmp(ctl, "pids") == 0 || strncmp(ctl, "pids,", 5) == 0 ||
            strstr(ctl, ",pids") != NULL) {
            n = snprintf(dir, size, "/sys/fs/cgroup/pids%s", path);
            break;
        }
        if (strcmp(line, "0") == 0 && ctl[0] == '\0')
            n = snprintf(dir, size, "/sys/fs/cgroup%s", path);
    }
    heapmin__lines_close(&r);
    return n >= 0 && n < (int)size ? 0 : -1;
}

/* A number read from DIR/NAME, or -1 ("max", missing, unreadable). */
static long read_number(const char *dir, const char *name)
{
    struct heapmin__lines r;
    char path[4200], *text, *end;
    long v = -1;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (heapmin__lines_open(&r, path) != 0)
        return -1;
    if ((text = heapmin__lines_next(&r)) != NULL) {
        v = strtol(text, &end, 10);
        if (end == text || *end != '\0')
            v = -1;
    }
    heapmin__lines_close(&r);
    return v;
}

/* Whether dir's pids.max leaves room; if not, why says so. */
static int level_has_room(const char *dir, char *why, size_t size)
{
    long max = read_number(dir, "pids.max"), now;

    if (max >= 0 && (max < MIN_LIMIT ||
                     ((now = read_number(dir, "pids.current")) >= 0 &&
                      max - now < MIN_FREE))) {
        snprintf(why, size, "pids.max is %ld in %s", max, dir);
        return 0;
    }
    return 1;
}

int heapmin__agent_room(int whole, char *why, size_t size)
{
    struct rlimit r;
    char dir[4096], *slash;

    /* Root is not held to RLIMIT_NPROC. */
    if (getuid() != 0 && getrlimit(RLIMIT_NPROC, &r) == 0 &&
        r.rlim_cur != RLIM_INFINITY && r.rlim_cur < MIN_LIMIT) {
        snprintf(why, size, "RLIMIT_NPROC is %ld", (long)r.rlim_cur);
        return 0;
    }
    if (!whole)
        return level_has_room("/sys/fs/cgroup", why, size) &&
               level_has_room("/sys/fs/cgroup/pids", why, size);
    if (pids_dir(dir, sizeof dir) != 0)
        return 1;
    /* Every level's limit holds; the root cgroup has none. */
    for (;;) {
        if (!level_has_room(dir, why, size))
            return 0;
        slash = strrchr(dir, '/');
        if (slash == NULL || strcmp(slash, "/pids") == 0 ||
            strcmp(dir, "/sys/fs/cgroup") == 0)
            return 1;
        *slash = '\0';
    }
}
