/*
 * Memory-pressure sources on Linux (kernel 5.2 and later), each a
 * descriptor the trimmer polls:
 *  - systemd's: $MEMORY_PRESSURE_WATCH names a file to watch (the service's
 *    cgroup memory.pressure, or a FIFO or socket) and $MEMORY_PRESSURE_WRITE
 *    the base64 of what to write to it first (systemd 254 and later);
 *  - the process's own cgroup v2 memory.pressure;
 *  - the whole system's /proc/pressure/memory.
 * A PSI file takes a trigger, "some STALL_US WINDOW_US": it then reports
 * POLLPRI when tasks stalled on memory that long within a window. Without
 * CAP_SYS_RESOURCE the window must be a multiple of 2 s, hence 200 ms in
 * 2 s. An unavailable source is named with the reason, never an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../posix/lines.h"
#include "host.h"

static const char trigger[] = "some 200000 2000000";

/* Appends a "; "-separated note to desc. */
static void note(char *desc, size_t len, const char *fmt, ...)
{
    size_t used = strlen(desc);
    va_list ap;

    if (used > 0 && used + 2 < len) {
        strcpy(desc + used, "; ");
        used += 2;
    }
    va_start(ap, fmt);
    if (used < len)
        vsnprintf(desc + used, len - used, fmt, ap);
    va_end(ap);
}

/* Decodes base64 text into out; returns the length, or -1 if malformed. */
static int unbase64(const char *in, char *out, int max)
{
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned long acc = 0;
    int bits = 0, n = 0;

    for (; *in != '\0' && *in != '='; in++) {
        const char *d = strchr(digits, *in);
        if (d == NULL)
            return -1;
        acc = (acc << 6) | (unsigned long)(d - digits);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == max)
                return -1;
            out[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    return n;
}

/*
 * Opens path for watching and writes what (len bytes, none if 0). Returns
 * the descriptor and its poll events, or -1 with errno.
 */
static int watch(const char *path, const char *what, size_t len, int *events)
{
    struct stat st;
    int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return -1;
    if (len > 0 && write(fd, what, len) < 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    /* A FIFO or socket says "pressure" by becoming readable. */
    *events =
        fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
            ? POLLIN
            : POLLPRI;
    return fd;
}

/* Where this process's cgroup v2 memory.pressure would be, or "". */
static void cgroup_file(char *out, size_t len)
{
    struct heapmin__lines r;
    char mount[1024] = "", group[2048] = "", *line;

    out[0] = '\0';
    /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS... - cgroup2 SOURCE OPTS" */
    if (heapmin__lines_open(&r, "/proc/self/mountinfo") == 0) {
        while ((line = heapmin__lines_next(&r)) != NULL) {
            char point[1024];
            if (strstr(line, " - cgroup2 ") != NULL &&
                sscanf(line, "%*s %*s %*s %*s %1023s", point) == 1) {
                strcpy(mount, point);
                break;
            }
        }
        heapmin__lines_close(&r);
    }
    /* The unified hierarchy's line is "0::/PATH". */
    if (heapmin__lines_open(&r, "/proc/self/cgroup") == 0) {
        while ((line = heapmin__lines_next(&r)) != NULL)
            if (strncmp(line, "0::", 3) == 0) {
                snprintf(group, sizeof group, "%s", line + 3);
                break;
            }
        heapmin__lines_close(&r);
    }
    if (mount[0] != '\0' && group[0] != '\0')
        snprintf(out, len, "%s%s/memory.pressure", mount,
                 strcmp(group, "/") == 0 ? "" : group);
}

int heapmin__pressure_open(struct heapmin__fd *fds, int *events, int max,
                           char *desc, size_t len)
{
    const char *path = getenv("MEMORY_PRESSURE_WATCH");
    const char *write64 = getenv("MEMORY_PRESSURE_WRITE");
    char cgroup[3200], what[256];
    int n = 0, fd, size;

    desc[0] = '\0';
    if (path == NULL || path[0] == '\0') {
        note(desc, len, "not: systemd (MEMORY_PRESSURE_WATCH unset)");
    } else if (strcmp(path, "/dev/null") == 0) {
        note(desc, len, "not: systemd (MEMORY_PRESSURE_WATCH=/dev/null)");
    } else if ((size = unbase64(write64 != NULL ? write64 : "", what,
                                (int)sizeof what)) < 0) {
        note(desc, len, "not: systemd (MEMORY_PRESSURE_WRITE is not base64)");
    } else if ((fd = watch(path, what, (size_t)size, &events[n])) < 0) {
        note(desc, len, "not: systemd %s (%s)", path, strerror(errno));
    } else {
        n += heapmin__fd_adopt(&fds[n], fd) == 0;
        note(desc, len, "systemd %s", path);
    }

    cgroup_file(cgroup, sizeof cgroup);
    if (cgroup[0] == '\0') {
        note(desc, len, "not: cgroup (no cgroup v2 hierarchy)");
    } else if (path != NULL && strcmp(cgroup, path) == 0) {
        /* systemd's watch already is this cgroup's file. */
    } else if (n < max &&
               (fd = watch(cgroup, trigger, sizeof trigger, &events[n])) >= 0) {
        n += heapmin__fd_adopt(&fds[n], fd) == 0;
        note(desc, len, "cgroup %s", cgroup);
    } else {
        note(desc, len, "not: cgroup %s (%s)", cgroup, strerror(errno));
    }

    if (n < max && (fd = watch("/proc/pressure/memory", trigger, sizeof trigger,
                               &events[n])) >= 0) {
        n += heapmin__fd_adopt(&fds[n], fd) == 0;
        note(desc, len, "psi /proc/pressure/memory");
    } else {
        note(desc, len, "not: psi /proc/pressure/memory (%s)", strerror(errno));
    }
    return n;
}
