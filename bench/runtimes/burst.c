/*
 * The C workload of bench/runtimes/runtimes.py: eight threads, each in its
 * own glibc arena, fill their share of BENCH_MIB with blocks of 16 B to
 * 64 KiB, free all but a tenth (kept until the next burst, as a cache
 * would), and idle BENCH_IDLE seconds; BENCH_BURSTS times. While idle each
 * thread times one small malloc/free pair every 2 ms in its own arena, the
 * one a trim locks: the worst pair is the same-arena stall.
 *
 * Marks ("fill T", "free T", "idle T", "end T", CLOCK_MONOTONIC seconds)
 * and "stall MS" go to the file BENCH_MARKS.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define THREADS 8
#define MAX_BLOCKS (1 << 21)

static pthread_barrier_t start_fill, filled, freed, rested;
static size_t share;
static int bursts;
static double idle_s;
static FILE *marks;
static double worst_ms[THREADS];

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void mark(const char *what)
{
    fprintf(marks, "%s %.6f\n", what, now());
    fflush(marks);
}

static unsigned long long next(unsigned long long *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return *x;
}

static void *worker(void *arg)
{
    int id = (int)(long)arg, b;
    unsigned long long x = 0x9e3779b97f4a7c15ull * (unsigned)(id + 1);
    char **blocks = calloc(MAX_BLOCKS, sizeof *blocks);
    char **kept = calloc(MAX_BLOCKS, sizeof *kept);
    size_t nkept = 0;

    if (blocks == NULL || kept == NULL)
        abort();
    for (b = 0; b < bursts; b++) {
        size_t n = 0, total = 0, i;
        double end;

        pthread_barrier_wait(&start_fill);
        for (i = 0; i < nkept; i++)
            free(kept[i]);
        nkept = 0;
        while (total < share && n < MAX_BLOCKS) {
            size_t size = 16 + next(&x) % (64 * 1024 - 16);
            char *p = malloc(size);
            if (p == NULL)
                abort();
            memset(p, (int)n, size);
            blocks[n++] = p;
            total += size;
        }
        pthread_barrier_wait(&filled);
        for (i = 0; i < n; i++) {
            if (next(&x) % 10 == 0)
                kept[nkept++] = blocks[i];
            else
                free(blocks[i]);
        }
        pthread_barrier_wait(&freed);
        end = now() + idle_s;
        while (now() < end) {
            struct timespec pause = {0, 2000000L};
            double t0 = now(), ms;
            char *p = malloc(64 + next(&x) % 4032);

            if (p == NULL)
                abort();
            p[0] = 1;
            free(p);
            ms = (now() - t0) * 1e3;
            if (ms > worst_ms[id])
                worst_ms[id] = ms;
            nanosleep(&pause, NULL);
        }
        pthread_barrier_wait(&rested);
    }
    return NULL;
}

int main(void)
{
    const char *path = getenv("BENCH_MARKS");
    pthread_t t[THREADS];
    double worst = 0;
    int b, i;

    bursts = getenv("BENCH_BURSTS") ? atoi(getenv("BENCH_BURSTS")) : 3;
    idle_s = getenv("BENCH_IDLE") ? atof(getenv("BENCH_IDLE")) : 2.5;
    share = (size_t)(getenv("BENCH_MIB") ? atoi(getenv("BENCH_MIB")) : 300)
            << 20;
    share /= THREADS;
    marks = fopen(path != NULL ? path : "/dev/null", "a");
    if (marks == NULL)
        return 1;
    pthread_barrier_init(&start_fill, NULL, THREADS + 1);
    pthread_barrier_init(&filled, NULL, THREADS + 1);
    pthread_barrier_init(&freed, NULL, THREADS + 1);
    pthread_barrier_init(&rested, NULL, THREADS + 1);
    for (i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(long)i) != 0)
            return 1;
    for (b = 0; b < bursts; b++) {
        mark("fill");
        pthread_barrier_wait(&start_fill);
        pthread_barrier_wait(&filled);
        mark("free");
        pthread_barrier_wait(&freed);
        mark("idle");
        pthread_barrier_wait(&rested);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        if (worst_ms[i] > worst)
            worst = worst_ms[i];
    }
    mark("end");
    fprintf(marks, "stall %.3f\n", worst);
    fclose(marks);
    return 0;
}
