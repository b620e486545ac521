/*
 * start, stop, request, suspend, resume and stats from four threads at
 * once, for a second, with a fake backend (as in auto.c): every call must
 * answer 0 or its documented error, and nothing may hang. Its real judge is
 * the tsan configuration of the test matrix, which runs it under
 * ThreadSanitizer.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include "heapmin.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "backend.h"

static atomic_int trims, bad;

static int fake_trim(void)
{
    atomic_fetch_add(&trims, 1);
    return 0;
}

/* Always worth a trim: the trimmer trims at every check while it runs. */
static heapmin_int64 fake_releasable(void)
{
    return (heapmin_int64)1 << 40;
}

const struct heapmin__backend *heapmin__backend(void)
{
    static const struct heapmin__backend b = {"fake (test)", "a test's",
                                              fake_trim, 0, fake_releasable, 0,
                                              NULL};
    return &b;
}

static void expect(const char *what, int rc, int e1, int e2)
{
    if (rc == 0 || (rc == -1 && (errno == e1 || errno == e2)))
        return;
    fprintf(stderr, "%s: %d, errno %d\n", what, rc, errno);
    atomic_fetch_add(&bad, 1);
}

static void *worker(void *arg)
{
    unsigned long long x = (unsigned long long)(size_t)arg * 2654435761u + 1;
    time_t end = time(NULL) + 1;
    struct heapmin_auto_config c;
    struct timespec pause = {0, 200000L};

    memset(&c, 0, sizeof c);
    c.size = sizeof c;
    c.interval_ms = 5;
    c.cpu_budget = 1;
    c.flags = HEAPMIN_AUTO_NO_PRESSURE;
    while (time(NULL) <= end) {
        struct heapmin_auto_stats s;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* Stops are rare and every call is followed by a pause, so that
         * the trimmer runs between them: the races include its trims. */
        switch (x % 40) {
        case 0:
            expect("stop", heapmin_auto_stop(), ESRCH, ESRCH);
            break;
        case 1:
        case 2:
            expect("start", heapmin_auto_start(&c), EALREADY, EALREADY);
            break;
        case 3:
        case 4:
            expect("suspend", heapmin_auto_suspend(), 0, 0);
            expect("resume", heapmin_auto_resume(), EINVAL, EINVAL);
            break;
        case 5:
            expect("resume", heapmin_auto_resume(), EINVAL, EINVAL);
            break;
        case 6:
        case 7:
        case 8:
            memset(&s, 0, sizeof s);
            s.size = sizeof s;
            expect("stats", heapmin_auto_stats(&s), 0, 0);
            break;
        default:
            expect("request", heapmin_auto_request(), ESRCH, ESRCH);
            break;
        }
        nanosleep(&pause, NULL);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[4];
    size_t i;

    for (i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, worker, (void *)(i + 1)) == 0);
    for (i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    /* Whatever state the race left: it can be stopped, or was. */
    expect("final stop", heapmin_auto_stop(), ESRCH, ESRCH);
    CHECK(atomic_load(&bad) == 0);
    printf("%d trims while four threads raced\n", atomic_load(&trims));
    /* Else the race never reached the trimmer thread: nothing was tested. */
    CHECK(atomic_load(&trims) > 0);
    return failures ? 1 : 0;
}
