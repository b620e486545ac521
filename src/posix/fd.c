/*
 * Descriptors heapmin keeps inside someone else's program: see fd.h.
 * Identity is the device and inode the descriptor refers to (a socket has
 * an inode of its own). A program that closes heapmin's number and opens
 * the very same file at it is not told apart: heapmin would poll it, and
 * close it when done; nothing heapmin keeps is a file a program opens.
 */
#define _GNU_SOURCE /* F_DUPFD_CLOEXEC in older headers */
#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The lowest number heapmin moves its descriptors to: high in the soft
 * limit (default 1024), so that a program's own numbering, and the dup2()
 * onto every free number below 256 that some test suites do, never meet
 * heapmin's. Where the limit is small, whatever is free.
 */
static int high_floor(void)
{
    struct rlimit r;

    if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY ||
        r.rlim_cur > 4096)
        return 1024 - 64;
    return r.rlim_cur > 128 ? (int)r.rlim_cur - 64 : 3;
}

int heapmin__fd_adopt(struct heapmin__fd *f, int fd)
{
    struct stat st;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, high_floor());

    /* No free number up there: keep the one open() gave. */
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    if (fstat(fd, &st) != 0) {
        int err = errno;

        close(fd);
        f->fd = -1;
        return err;
    }
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->pid = getpid();
    return 0;
}

static int same(const struct heapmin__fd *f)
{
    struct stat st;

    return f->fd >= 0 && fstat(f->fd, &st) == 0 && st.st_dev == f->dev &&
           st.st_ino == f->ino;
}

int heapmin__fd_check(struct heapmin__fd *f)
{
    if (f->fd < 0)
        return 0;
    if (f->pid == getpid() && same(f))
        return 1;
    /* A fork child's copy of heapmin's own descriptor is heapmin's to
     * close; a number the program reused is the program's. */
    if (f->pid != getpid() && same(f))
        close(f->fd);
    f->fd = -1;
    return 0;
}

void heapmin__fd_inherit(struct heapmin__fd *f)
{
    if (same(f))
        f->pid = getpid();
    else
        f->fd = -1;
}

void heapmin__fd_close(struct heapmin__fd *f)
{
    if (same(f))
        close(f->fd);
    f->fd = -1;
}
