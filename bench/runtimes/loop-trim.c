/*
 * What people write by hand, for bench/runtimes/runtimes.py: preloaded, it
 * starts a thread named "fixed-trim" that calls glibc's malloc_trim(0)
 * every second, and appends each call's wall time ("trim MS") to the file
 * BENCH_LOOP_LOG.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void *loop(void *arg)
{
    const char *path = getenv("BENCH_LOOP_LOG");
    FILE *log = path != NULL ? fopen(path, "a") : NULL;

    (void)arg;
    pthread_setname_np(pthread_self(), "fixed-trim");
    for (;;) {
        double t0;

        sleep(1);
        t0 = now_ms();
        malloc_trim(0);
        if (log != NULL) {
            fprintf(log, "trim %.3f\n", now_ms() - t0);
            fflush(log);
        }
    }
    return NULL;
}

__attribute__((constructor)) static void start(void)
{
    pthread_t t;
    pthread_attr_t a;

    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &a, loop, NULL);
    pthread_attr_destroy(&a);
}
