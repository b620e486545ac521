/*
 * Four threads allocate, fill, verify and free patterned blocks while two
 * threads call heapmin() in a loop: no crash, no corrupted byte, and every
 * heapmin() call keeps the contract. Runs HEAPMIN_STRESS_SECONDS (default 3).
 */
#define _POSIX_C_SOURCE 200809L
#include "heapmin.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "expect.h"

#define WORKERS 4
#define TRIMMERS 2
#define SLOTS 512

static atomic_int stop;    /* C11: the test is built with c_std=c11 */
static int expected_rc;    /* 0, or -1 on a build that cannot trim */
static int expected_errno; /* what errno must be afterwards */

struct worker {
    unsigned id;
    unsigned long long rng;
    unsigned long long blocks;
    int corrupt;
};

struct trimmer {
    unsigned long long calls;
    int broken;
};

static unsigned long long next_random(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static unsigned char pattern(unsigned long long tag, size_t i)
{
    return (unsigned char)(tag * 131 + i * 7 + (i >> 8));
}

static void *work(void *arg)
{
    struct worker *w = arg;
    unsigned char *p[SLOTS] = {0};
    size_t n[SLOTS];
    unsigned long long tag[SLOTS];
    size_t i, k;

    while (!atomic_load(&stop)) {
        k = (size_t)(next_random(&w->rng) % SLOTS);
        if (p[k] != NULL) {
            for (i = 0; i < n[k]; i++)
                if (p[k][i] != pattern(tag[k], i))
                    w->corrupt++;
            free(p[k]);
            p[k] = NULL;
            continue;
        }
        /* Mostly small blocks, some large enough for their own mapping. */
        n[k] = next_random(&w->rng) % 16 == 0
                   ? 4096 + (size_t)(next_random(&w->rng) % (256 * 1024))
                   : 16 + (size_t)(next_random(&w->rng) % 4097);
        p[k] = malloc(n[k]);
        if (p[k] == NULL) {
            w->corrupt++;
            break;
        }
        tag[k] = (unsigned long long)w->id << 40 | w->blocks++;
        for (i = 0; i < n[k]; i++)
            p[k][i] = pattern(tag[k], i);
    }
    for (k = 0; k < SLOTS; k++) {
        if (p[k] == NULL)
            continue;
        for (i = 0; i < n[k]; i++)
            if (p[k][i] != pattern(tag[k], i))
                w->corrupt++;
        free(p[k]);
    }
    return NULL;
}

static void *trim(void *arg)
{
    struct trimmer *t = arg;

    while (!atomic_load(&stop)) {
        int rc;

        errno = 0;
        rc = heapmin();
        if (rc != expected_rc || errno != expected_errno)
            t->broken++;
        t->calls++;
    }
    return NULL;
}

int main(void)
{
    pthread_t wt[WORKERS], tt[TRIMMERS];
    struct worker w[WORKERS];
    struct trimmer t[TRIMMERS];
    const char *env = getenv("HEAPMIN_STRESS_SECONDS");
    double seconds = env ? atof(env) : 3.0;
    struct timespec nap;
    unsigned long long blocks = 0, calls = 0;
    int i, bad = 0;

    struct expect e = expected();

    expected_rc = e.rc;
    expected_errno = e.error;
    memset(w, 0, sizeof w);
    memset(t, 0, sizeof t);
    for (i = 0; i < WORKERS; i++) {
        w[i].id = (unsigned)i;
        w[i].rng = 0x9E3779B97F4A7C15ULL * (unsigned)(i + 1);
        if (pthread_create(&wt[i], NULL, work, &w[i]) != 0)
            return 99;
    }
    for (i = 0; i < TRIMMERS; i++)
        if (pthread_create(&tt[i], NULL, trim, &t[i]) != 0)
            return 99;

    nap.tv_sec = (time_t)seconds;
    nap.tv_nsec = (long)((seconds - (double)nap.tv_sec) * 1e9);
    while (nanosleep(&nap, &nap) != 0 && errno == EINTR)
        ;
    atomic_store(&stop, 1);

    for (i = 0; i < WORKERS; i++) {
        pthread_join(wt[i], NULL);
        blocks += w[i].blocks;
        bad += w[i].corrupt;
    }
    for (i = 0; i < TRIMMERS; i++) {
        pthread_join(tt[i], NULL);
        calls += t[i].calls;
        bad += t[i].broken;
    }
    printf("%.1f s on %s: %llu blocks checked, %llu heapmin() calls, %d bad\n",
           seconds, heapmin_backend(), blocks, calls, bad);
    if (blocks == 0 || calls == 0) {
        fprintf(stderr, "a thread made no progress\n");
        return 1;
    }
    return bad == 0 ? 0 : 1;
}
