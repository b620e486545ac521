/*
 * Why the trimmer never runs at a lower priority (BENCHMARKS.md): a glibc
 * trim holds the arena's lock for its whole walk, and a trimmer preempted
 * meanwhile makes every thread allocating there wait for it.
 *
 * usage: priority [normal|idle|nice19] [LOAD]
 *
 * With MALLOC_ARENA_MAX=1 (one arena, set by the program itself before its
 * first malloc), the main thread fills 300 MiB of 16 B-64 KiB blocks and
 * frees 90 %; LOAD busy processes (default 2, one per CPU here) compete for
 * the CPUs; a victim thread times a small malloc/free pair every 1 ms; a
 * trimmer thread, at the given priority, calls malloc_trim(0) once. Prints
 * the trim's wall time and the victim's worst pair.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLOCKS 200000

static volatile int done;
static double worst_ms, trim_ms;
static const char *mode = "normal";

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void *victim(void *arg)
{
    (void)arg;
    while (!done) {
        struct timespec pause = {0, 1000000L};
        double t0 = now(), ms;
        char *p = malloc(64 + (size_t)(t0 * 7) % 4000);

        p[0] = 1;
        free(p);
        ms = now() - t0;
        if (ms > worst_ms)
            worst_ms = ms;
        nanosleep(&pause, NULL);
    }
    return NULL;
}

static void *trimmer(void *arg)
{
    double t0;

    (void)arg;
    if (strcmp(mode, "idle") == 0) {
        struct sched_param sp = {0};
        pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    } else if (strcmp(mode, "nice19") == 0) {
        setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
    }
    t0 = now();
    malloc_trim(0);
    trim_ms = now() - t0;
    return NULL;
}

int main(int argc, char **argv)
{
    static char *blocks[BLOCKS];
    unsigned long long x = 88172645463325252ull;
    int load = argc > 2 ? atoi(argv[2]) : 2, i;
    pid_t busy[16];
    pthread_t v, t;

    if (argc > 1)
        mode = argv[1];
    mallopt(M_ARENA_MAX, 1);
    for (i = 0; i < BLOCKS; i++) {
        size_t size;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size = 16 + x % 3000;
        blocks[i] = malloc(size);
        memset(blocks[i], 1, size);
    }
    for (i = 0; i < BLOCKS; i++)
        if (i % 10 != 0)
            free(blocks[i]);
    for (i = 0; i < load && i < 16; i++)
        if ((busy[i] = fork()) == 0)
            for (;;)
                ;
    pthread_create(&v, NULL, victim, NULL);
    usleep(300000);
    pthread_create(&t, NULL, trimmer, NULL);
    pthread_join(t, NULL);
    usleep(300000);
    done = 1;
    pthread_join(v, NULL);
    for (i = 0; i < load && i < 16; i++) {
        kill(busy[i], SIGKILL);
        waitpid(busy[i], NULL, 0);
    }
    printf("%s, %d busy: trim %.1f ms, victim's worst pair %.1f ms\n", mode,
           load, trim_ms, worst_ms);
    return 0;
}
