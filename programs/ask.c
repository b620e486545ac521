/*
 * heapmin trim PID and heapmin status PID: one request to PID's agent over
 * its control socket (agent/channel.h), the reply printed for people.
 * Before it connects, it checks what the agent checks: the socket's
 * directory is private to PID's user, and the socket is served by PID
 * itself, not by some other process that took the name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../agent/channel.h"
#include "../agent/text.h"
#include "commands.h"

/* Reads a small /proc file whole (NUL-terminated); returns its length. */
static size_t slurp(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t got = 0;
    ssize_t n;

    if (fd >= 0) {
        while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
            got += (size_t)n;
        close(fd);
    }
    buf[got] = '\0';
    return got;
}

/* Where key's value starts in the reply's key=value lines, or NULL. */
static const char *find(const char *reply, const char *key, size_t *len)
{
    size_t k = strlen(key);
    const char *p = reply;

    for (; *p != '\0'; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0))
        if (strncmp(p, key, k) == 0 && p[k] == '=') {
            *len = strcspn(p + k + 1, "\n");
            return p + k + 1;
        }
    return NULL;
}

/* The value as a string ("" when absent); the last four stay valid. */
static const char *get(const char *reply, const char *key)
{
    static char values[4][HEAPMIN__CHANNEL_LINE];
    static int next;
    char *value = values[next++ % 4];
    size_t n;
    const char *v = find(reply, key, &n);

    snprintf(value, HEAPMIN__CHANNEL_LINE, "%.*s", v ? (int)n : 0, v ? v : "");
    return value;
}

static long long num(const char *reply, const char *key)
{
    size_t n;
    const char *v = find(reply, key, &n);

    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

/* pid's effective uid, from the "Uid:" line of /proc/PID/status (real,
 * effective, saved, file system); fallback where it cannot be read. */
static uid_t effective_uid(pid_t pid, uid_t fallback)
{
    char path[64], text[4096], *line;
    unsigned long real, eff;
    size_t n;

    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    n = slurp(path, text, sizeof text - 1);
    text[n] = '\0';
    line = strstr(text, "\nUid:");
    if (line == NULL || sscanf(line + 5, "%lu %lu", &real, &eff) != 2)
        return fallback;
    return (uid_t)eff;
}

/*
 * Connects to pid's socket in dir. Returns the descriptor; -1 with errno
 * ENOENT or ECONNREFUSED where nobody serves it there (a stale socket is
 * removed), or -1 after saying why not.
 */
static int reach_in(const char *dir, pid_t pid, const char *name, uid_t uid)
{
    struct sockaddr_un a;
    struct ucred cred;
    socklen_t clen = sizeof cred;
    int fd;

    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    heapmin__channel_path(a.sun_path, sizeof a.sun_path, dir, pid);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (e == EACCES || e == EPERM) {
            fprintf(stderr,
                    "heapmin: process %ld (%s) belongs to uid %lu: only that "
                    "user and root may control it\n",
                    (long)pid, name, (unsigned long)uid);
            errno = EACCES;
            return -1;
        }
        /* A socket left by a process that exited (or exec'd a program
         * without the agent) under this PID: nobody listens. */
        if (e == ECONNREFUSED)
            unlink(a.sun_path);
        errno = e == ECONNREFUSED ? ECONNREFUSED : ENOENT;
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 ||
        cred.pid != pid) {
        fprintf(stderr, "heapmin: %s is served by process %ld, not %ld\n",
                a.sun_path, (long)cred.pid, (long)pid);
        close(fd);
        errno = EACCES;
        return -1;
    }
    return fd;
}

/* Connects to pid's agent; -1 after saying why not. */
static int reach(pid_t pid, const char *name)
{
    char environ_[16384], path[128], dir[200], err[300];
    /* Where the agent may have put its socket: the directory its
     * environment names, then the user's usual XDG_RUNTIME_DIR (a program
     * that rewrites its environment for its process title, as
     * redis-server and nginx do, hides the first), then /tmp. */
    const char *xdgs[3] = {NULL, NULL, NULL};
    char usual[64];
    struct stat st;
    size_t n, i;
    int k, fd;

    snprintf(path, sizeof path, "/proc/%ld", (long)pid);
    if (stat(path, &st) != 0) {
        fprintf(stderr, "heapmin: no process %ld\n", (long)pid);
        return -1;
    }
    /* The user it runs as: /proc/PID belongs to root once a process has
     * changed its user (it is no longer dumpable). */
    st.st_uid = effective_uid(pid, st.st_uid);
    /* Another user's agent serves only that user and root, and its
     * environment, which names its directory, is not ours to read. */
    if (st.st_uid != geteuid() && geteuid() != 0) {
        fprintf(stderr,
                "heapmin: process %ld (%s) belongs to uid %lu: only that "
                "user and root may control it\n",
                (long)pid, name, (unsigned long)st.st_uid);
        return -1;
    }
    snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
    n = slurp(path, environ_, sizeof environ_);
    for (i = 0; i < n; i += strlen(environ_ + i) + 1)
        if (strncmp(environ_ + i, "XDG_RUNTIME_DIR=", 16) == 0)
            xdgs[0] = environ_ + i + 16;
    snprintf(usual, sizeof usual, "/run/user/%lu", (unsigned long)st.st_uid);
    xdgs[1] = usual;
    for (k = 0; k < 3; k++) {
        if (k > 0 && xdgs[k] != NULL && xdgs[0] != NULL &&
            strcmp(xdgs[k], xdgs[0]) == 0)
            continue;
        if (k == 2 && xdgs[0] == NULL)
            continue; /* /tmp was the first place looked */
        if (heapmin__channel_dir(dir, sizeof dir, xdgs[k], st.st_uid, 0, err,
                                 sizeof err) != 0) {
            /* Only the directory the environment names must be sound: the
             * others are guesses. */
            if (errno != ENOENT && k == 0) {
                fprintf(stderr, "heapmin: not connecting to process %ld: %s\n",
                        (long)pid, err);
                return -1;
            }
            continue;
        }
        fd = reach_in(dir, pid, name, st.st_uid);
        if (fd >= 0)
            return fd;
        if (errno == EACCES)
            return -1;
    }
    fprintf(stderr,
            "heapmin: process %ld (%s) has no heapmin agent; start the "
            "program with: heapmin run -- PROGRAM [ARGS]\n",
            (long)pid, name);
    return -1;
}

static void print_status(long pid, const char *name, const char *r)
{
    char a[32], b[32];

    printf("process %ld (%s): heapmin %s agent, %s\n", pid, name,
           get(r, "version"), get(r, "backend"));
    heapmin__text_size(a, sizeof a, num(r, "resident"));
    printf("resident:  %s\n", a);
    heapmin__text_size(a, sizeof a, num(r, "min_release"));
    printf("config:    interval %g s, budget %s %% of a CPU, min_release %s, "
           "pressure %s, log %s\n",
           (double)num(r, "interval_ms") / 1000, get(r, "budget"), a,
           num(r, "pressure_on") ? "on" : "off", get(r, "log"));
    heapmin__text_size(a, sizeof a, num(r, "released"));
    if (num(r, "running"))
        printf("automatic: %lld %s, %s released in %.1f ms (and %.1f ms "
               "counting); %lld checks, %lld deferred by the budget\n",
               num(r, "trims"), num(r, "trims") == 1 ? "trim" : "trims", a,
               (double)num(r, "trim_ns") / 1e6,
               (double)num(r, "count_ns") / 1e6, num(r, "checks"),
               num(r, "deferred"));
    else
        printf("automatic: not running\n");
    heapmin__text_size(a, sizeof a, num(r, "request_released"));
    printf("requested: %lld %s, %s released in %.1f ms\n", num(r, "requests"),
           num(r, "requests") == 1 ? "trim" : "trims", a,
           (double)num(r, "request_ns") / 1e6);
    if (num(r, "last_ago_ns") >= 0) {
        heapmin__text_size(b, sizeof b, num(r, "last_released"));
        printf("last trim: %.1f s ago (%s): -%s in %.1f ms\n",
               (double)num(r, "last_ago_ns") / 1e9, get(r, "last_why"), b,
               (double)num(r, "last_elapsed_ns") / 1e6);
    } else {
        printf("last trim: none yet\n");
    }
    printf("pressure:  %s\n",
           *get(r, "pressure") ? get(r, "pressure") : "(ignored)");
}

int heapmin__ask(const char *request, int argc, char **argv)
{
    char reply[HEAPMIN__CHANNEL_REPLY], name[64], path[64], line[256];
    size_t got = 0;
    ssize_t n;
    char *end;
    long pid;
    int fd;

    if (argc != 1) {
        snprintf(line, sizeof line, "%s: give one PID", request);
        return heapmin__usage(line);
    }
    errno = 0;
    pid = strtol(argv[0], &end, 10);
    if (errno != 0 || *end != '\0' || end == argv[0] || pid <= 0 ||
        (long)(pid_t)pid != pid) {
        snprintf(line, sizeof line, "%s: \"%s\" is not a process ID", request,
                 argv[0]);
        return heapmin__usage(line);
    }
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    slurp(path, name, sizeof name);
    name[strcspn(name, "\n")] = '\0';
    fd = reach((pid_t)pid, name);
    if (fd < 0)
        return HEAPMIN__EXIT_FAILED;
    snprintf(line, sizeof line, "%s\n", request);
    if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
        fprintf(stderr, "heapmin: process %ld: %s\n", pid, strerror(errno));
        close(fd);
        return HEAPMIN__EXIT_FAILED;
    }
    /* Up to the "end" line: a fork child of the agent's process may hold
     * a copy of this connection, and then no end of file comes. */
    while (got < sizeof reply - 1 &&
           (n = read(fd, reply + got, sizeof reply - 1 - got)) > 0) {
        got += (size_t)n;
        reply[got] = '\0';
        if (strcmp(reply, "end\n") == 0 ||
            (got >= 5 && strcmp(reply + got - 5, "\nend\n") == 0))
            break;
    }
    close(fd);
    reply[got] = '\0';
    if (*get(reply, "error") || got == 0) {
        fprintf(stderr, "heapmin: process %ld (%s): %s\n", pid, name,
                got ? get(reply, "error") : "no reply (did it exit?)");
        return HEAPMIN__EXIT_FAILED;
    }
    if (strcmp(request, "status") == 0) {
        print_status(pid, name, reply);
        return 0;
    }
    if (*get(reply, "failed")) {
        fprintf(stderr, "heapmin: process %ld (%s): trim failed: %s (%s)\n",
                pid, name, get(reply, "failed"), get(reply, "backend"));
        return HEAPMIN__EXIT_FAILED;
    }
    heapmin__text_trim(line, sizeof line, num(reply, "before"),
                       num(reply, "after"), num(reply, "released"),
                       num(reply, "elapsed_ns"), get(reply, "backend"));
    printf("%ld (%s): %s\n", pid, name, line);
    return 0;
}
