/*
 * Resident size on Linux and Android, for heapmin_trim() and
 * heapmin_resident_bytes(): /proc/self/statm, read so that measuring
 * allocates nothing. macOS and the BSDs have files of their own beside
 * this one; on a system heapmin does not know, where there is no such
 * file, resident size is -1 and reports say "unmeasured".
 *
 * The file is opened once and kept (fd.h), because an open() at every
 * check reserves the lowest free number for a moment: a program thread's
 * dup2() onto that number then fails with EBUSY. A second thread reading
 * at the same time, or a fork child whose parent was reading, opens its
 * own for that one read.
 */
#define _GNU_SOURCE /* pread */
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "../backend.h"
#include "fd.h"

static struct heapmin__fd statm = HEAPMIN__FD_NONE;
static int statm_busy; /* taken with an atomic exchange: never waited for */

static const char path[] = "/proc/self/statm";
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* A fork child gets a copy of the parent's file (its /proc/PID/statm): it
 * is closed at once, so that no child is left holding it. */
static void forked(void)
{
    heapmin__fd_check(&statm);
    statm_busy = 0;
}

static void register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, forked);
}

static ssize_t read_statm(char *buf, size_t size)
{
    ssize_t len = -1;
    int fd;

    if (!__atomic_exchange_n(&statm_busy, 1, __ATOMIC_ACQUIRE)) {
        if (!heapmin__fd_check(&statm) &&
            (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
            pthread_once(&once, register_fork_handler);
            heapmin__fd_adopt(&statm, fd);
        }
        if (statm.fd >= 0)
            len = pread(statm.fd, buf, size, 0);
        __atomic_store_n(&statm_busy, 0, __ATOMIC_RELEASE);
        if (len > 0)
            return len;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    len = read(fd, buf, size);
    close(fd);
    return len;
}

heapmin_int64 heapmin_resident_bytes(void)
{
    char buf[128];
    const char *s;
    heapmin_int64 pages = 0;
    ssize_t len = read_statm(buf, sizeof buf - 1);

    if (len <= 0)
        return -1;
    buf[len] = '\0';
    /* "size resident shared text lib data dt", in pages. */
    for (s = buf; *s != ' '; s++)
        if (*s == '\0')
            return -1;
    for (s++; *s >= '0' && *s <= '9'; s++)
        pages = pages * 10 + (*s - '0');
    return pages * (heapmin_int64)sysconf(_SC_PAGESIZE);
}
