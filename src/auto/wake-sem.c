/*
 * The trimmer's wake-up on Linux, the BSDs and Android: a POSIX semaphore
 * and a word of pending bits. It needs no descriptor, so a program that
 * closes every descriptor (daemons do) cannot take it away, and
 * sem_post() is async-signal-safe, so heapmin_auto_request() may run in a
 * signal handler. macOS has no unnamed semaphores: wake-pipe.c there.
 */
#define _GNU_SOURCE /* sem_clockwait */
#include <errno.h>
#include <semaphore.h>
#include <time.h>

#include "host.h"

static sem_t sem;
static int ready;
static unsigned pending;

int heapmin__wake_init(void)
{
    if (HEAPMIN__LOAD(ready))
        return 0;
    if (sem_init(&sem, 0, 0) != 0)
        return errno;
    HEAPMIN__STORE(ready, 1);
    return 0;
}

int heapmin__wake_post(unsigned bits)
{
    if (!HEAPMIN__LOAD(ready))
        return ESRCH;
    __atomic_fetch_or(&pending, bits, __ATOMIC_SEQ_CST);
    /* A count at its maximum already holds a wake-up: that is enough. */
    if (sem_post(&sem) != 0 && errno != EOVERFLOW)
        return errno;
    return 0;
}

/* sem_clockwait (glibc 2.30) waits on the monotonic clock; elsewhere the
 * deadline is on the real-time clock, which a clock change moves. */
#if defined(__GLIBC__) &&                                                      \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 30))
#define WAIT_CLOCK CLOCK_MONOTONIC
#define sem_wait_until(s, t) sem_clockwait((s), CLOCK_MONOTONIC, (t))
#else
#define WAIT_CLOCK CLOCK_REALTIME
#define sem_wait_until(s, t) sem_timedwait((s), (t))
#endif

unsigned heapmin__wake_wait(heapmin_int64 timeout_ns)
{
    struct timespec until;

    if (timeout_ns > 0 && __atomic_load_n(&pending, __ATOMIC_SEQ_CST) == 0 &&
        clock_gettime(WAIT_CLOCK, &until) == 0) {
        heapmin_int64 ns = until.tv_nsec + timeout_ns % 1000000000;

        until.tv_sec += (time_t)(timeout_ns / 1000000000 + ns / 1000000000);
        until.tv_nsec = (long)(ns % 1000000000);
        while (sem_wait_until(&sem, &until) != 0 && errno == EINTR)
            ;
    }
    /* Every post that came is answered by the bits read here. */
    while (sem_trywait(&sem) == 0)
        ;
    return __atomic_exchange_n(&pending, 0u, __ATOMIC_SEQ_CST);
}

void heapmin__wake_forked(void)
{
    /* The parent's posts are the parent's; no thread waits here yet. */
    if (HEAPMIN__LOAD(ready))
        sem_init(&sem, 0, 0);
    pending = 0;
}
