/*
 * heapmin trim PID and heapmin status PID: one request to PID's agent over
 * its control socket (control/), the reply printed for people.
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

#include "../control/channel.h"
#include "../control/protocol.h"
#include "../control/text.h"
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
    char environ_[16384], path[128], dir[200], err[300], usual[64];
    const char *xdg = NULL, *places[3];
    struct stat st;
    size_t n, i;
    int k, count, fd;

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
            xdg = environ_ + i + 16;
    count = heapmin__channel_places(xdg, st.st_uid, places, usual, sizeof usual);
    for (k = 0; k < count; k++) {
        if (heapmin__channel_dir(dir, sizeof dir, places[k], st.st_uid, 0, err,
                                 sizeof err) != 0) {
            /* Only the first place must be sound: the others are
             * guesses. */
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

static void print_status(long pid, const char *name,
                         const struct heapmin__reply *r)
{
    char a[32], b[64];

    printf("process %ld (%s): heapmin %s agent, %s\n", pid, name, r->version,
           r->backend);
    heapmin__text_size(a, sizeof a, r->resident);
    printf("resident:  %s\n", a);
    heapmin__text_size(a, sizeof a, r->min_release);
    /* An agent before 0.4 sends no max_stall_ms: 0. */
    if (r->max_stall_ms == 0)
        b[0] = '\0';
    else if (r->holds_lock)
        snprintf(b, sizeof b, "max_stall %lld ms, ", r->max_stall_ms);
    else
        snprintf(b, sizeof b, "max_stall off (trims hold no lock), ");
    printf("config:    interval %g s, budget %g %% of a CPU, min_release %s, "
           "%spressure %s, log %s\n",
           (double)r->interval_ms / 1000, r->budget, a, b,
           r->pressure_on ? "on" : "off", r->log);
    heapmin__text_size(a, sizeof a, r->released);
    if (r->running && r->max_stall_ms != 0) {
        printf("automatic: %lld %s, %s released in %.1f ms (%.1f ms of CPU), "
               "%.1f ms of CPU counting (%.1f ms); %lld checks, %lld "
               "deferred by the budget, %lld waiting for a quiet program\n",
               r->trims, r->trims == 1 ? "trim" : "trims", a,
               (double)r->trim_ns / 1e6, (double)r->trim_cpu_ns / 1e6,
               (double)r->count_ns / 1e6, (double)r->count_wall_ns / 1e6,
               r->checks, r->deferred, r->quiet_waits);
        printf("budget:    %.1f ms of CPU left%s\n", (double)r->credit_ns / 1e6,
               r->credit_ns < 0 ? " (shut until it refills)" : "");
        heapmin__text_size(a, sizeof a, r->next_release);
        if (r->next_release < 0 || r->next_predicted_ns < 0)
            printf("next trim: not known until the next count\n");
        else if (r->next_release == 0)
            printf("next trim: nothing new to release\n");
        else
            printf("next trim: ~%.1f ms for %s\n",
                   (double)r->next_predicted_ns / 1e6, a);
    } else if (r->running) {
        printf("automatic: %lld %s, %s released in %.1f ms (and %.1f ms "
               "counting); %lld checks, %lld deferred by the budget\n",
               r->trims, r->trims == 1 ? "trim" : "trims", a,
               (double)r->trim_ns / 1e6, (double)r->count_ns / 1e6, r->checks,
               r->deferred);
    } else {
        printf("automatic: not running\n");
    }
    heapmin__text_size(a, sizeof a, r->request_released);
    printf("requested: %lld %s, %s released in %.1f ms\n", r->requests,
           r->requests == 1 ? "trim" : "trims", a,
           (double)r->request_ns / 1e6);
    if (r->last_ago_ns >= 0) {
        heapmin__text_size(b, sizeof b, r->last_released);
        printf("last trim: %.1f s ago (%s): -%s in %.1f ms\n",
               (double)r->last_ago_ns / 1e9, r->last_why, b,
               (double)r->last_elapsed_ns / 1e6);
    } else {
        printf("last trim: none yet\n");
    }
    printf("pressure:  %s\n", r->pressure[0] ? r->pressure : "(ignored)");
}

int heapmin__ask(int request, int argc, char **argv, char *problem,
                 size_t size)
{
    char text[HEAPMIN__PROTOCOL_REPLY], name[64], path[64], line[256];
    const char *what = heapmin__request_name(request);
    struct heapmin__reply reply;
    size_t got = 0;
    ssize_t n;
    char *end;
    long pid;
    int fd;

    if (argc != 1) {
        snprintf(problem, size, "%s: give one PID", what);
        return HEAPMIN__EXIT_USAGE;
    }
    errno = 0;
    pid = strtol(argv[0], &end, 10);
    if (errno != 0 || *end != '\0' || end == argv[0] || pid <= 0 ||
        (long)(pid_t)pid != pid) {
        snprintf(problem, size, "%s: \"%s\" is not a process ID", what,
                 argv[0]);
        return HEAPMIN__EXIT_USAGE;
    }
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    slurp(path, name, sizeof name);
    name[strcspn(name, "\n")] = '\0';
    fd = reach((pid_t)pid, name);
    if (fd < 0)
        return HEAPMIN__EXIT_FAILED;
    snprintf(line, sizeof line, "%s\n", what);
    if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
        fprintf(stderr, "heapmin: process %ld: %s\n", pid, strerror(errno));
        close(fd);
        return HEAPMIN__EXIT_FAILED;
    }
    /* Up to the "end" line (protocol.h), not the end of file. */
    while (got < sizeof text - 1 &&
           (n = read(fd, text + got, sizeof text - 1 - got)) > 0) {
        got += (size_t)n;
        if (heapmin__reply_complete(text, got))
            break;
    }
    close(fd);
    text[got] = '\0';
    heapmin__reply_read(text, &reply);
    if (reply.error[0] != '\0' || got == 0) {
        fprintf(stderr, "heapmin: process %ld (%s): %s\n", pid, name,
                got ? reply.error : "no reply (did it exit?)");
        return HEAPMIN__EXIT_FAILED;
    }
    if (request == HEAPMIN__REQUEST_STATUS) {
        print_status(pid, name, &reply);
        return 0;
    }
    if (reply.failed[0] != '\0') {
        fprintf(stderr, "heapmin: process %ld (%s): trim failed: %s (%s)\n",
                pid, name, reply.failed, reply.backend);
        return HEAPMIN__EXIT_FAILED;
    }
    heapmin__text_trim(line, sizeof line, reply.before, reply.after,
                       reply.released, reply.elapsed_ns, reply.backend);
    printf("%ld (%s): %s\n", pid, name, line);
    return 0;
}
