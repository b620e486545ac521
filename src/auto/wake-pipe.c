/*
 * The trimmer's wake-up on macOS, which has no unnamed POSIX semaphores: a
 * pipe, written by heapmin_auto_request() (write() is async-signal-safe)
 * and drained by the trimmer. Made once and kept; a fork child makes its
 * own. Unlike wake-sem.c it is a pair of descriptors that a program
 * closing everything could take away: a wake-up is then lost, and the
 * trimmer still wakes at its next check.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "host.h"

/* The write end is read by heapmin_auto_request() in signal handlers. */
static int ends[2] = {-1, -1};

int heapmin__wake_init(void)
{
    int i;

    if (ends[0] >= 0)
        return 0;
    /* No pipe2 on macOS: another thread's fork and exec before the flags
     * are set would carry the pipe into its program, harmlessly. */
    if (pipe(ends) != 0)
        return errno;
    for (i = 0; i < 2; i++)
        if (fcntl(ends[i], F_SETFD, FD_CLOEXEC) != 0 ||
            fcntl(ends[i], F_SETFL, O_NONBLOCK) != 0) {
            int err = errno;

            close(ends[0]);
            close(ends[1]);
            ends[0] = ends[1] = -1;
            return err;
        }
    return 0;
}

int heapmin__wake_post(unsigned bits)
{
    unsigned char b = (unsigned char)bits;
    int fd = HEAPMIN__LOAD(ends[1]);

    if (fd < 0)
        return ESRCH;
    /* A full pipe already holds a wake-up: that is enough. */
    if (write(fd, &b, 1) < 0 && errno != EAGAIN)
        return errno;
    return 0;
}

unsigned heapmin__wake_wait(heapmin_int64 timeout_ns)
{
    struct pollfd p;
    unsigned char bytes[64];
    unsigned woke = 0;
    ssize_t got, i;

    p.fd = ends[0];
    p.events = POLLIN;
    /* Rounded up, so that a wait never ends just before its deadline. */
    if (poll(&p, 1,
             timeout_ns <= 0 ? 0 : (int)((timeout_ns + 999999) / 1000000)) <= 0)
        return 0;
    while ((got = read(ends[0], bytes, sizeof bytes)) > 0)
        for (i = 0; i < got; i++)
            woke |= bytes[i];
    return woke;
}

void heapmin__wake_forked(void)
{
    if (ends[0] >= 0) {
        close(ends[0]);
        close(ends[1]);
        ends[0] = ends[1] = -1;
        heapmin__wake_init();
    }
}
