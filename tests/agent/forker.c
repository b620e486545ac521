/*
 * Forks while allocating, as a threaded server does: four threads malloc
 * and free without pause while the main thread forks 200 children, each of
 * which allocates, frees and exits. Under the agent every fork happens
 * beside its trimmer and control threads, and each child starts its own:
 * nothing may deadlock (an alarm ends the run if anything hangs) and every
 * child must exit 0.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int stop;
static void *volatile sink;

static void *churn(void *arg)
{
    unsigned long long x = (unsigned long long)(size_t)arg * 2654435761u + 1;

    while (!stop) {
        void *p;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p = malloc(16 + x % 65536);
        sink = p;
        free(p);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t[4];
    int children = argc > 1 ? atoi(argv[1]) : 200, i, failed = 0, status;

    alarm(120); /* a deadlock ends here, with SIGALRM's status */
    for (i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, churn, (void *)(size_t)(i + 1));
    for (i = 0; i < children; i++) {
        pid_t p = fork();
        if (p == 0) {
            void *q = malloc(1 << 20);
            sink = q;
            free(q);
            alarm(60);
            /* Half leave by exit (the agent removes its socket), half by
             * _exit (a stale socket for the next agent to clean up). */
            if (i % 2)
                exit(0);
            _exit(0);
        }
        if (p < 0 || waitpid(p, &status, 0) != p || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            failed++;
    }
    stop = 1;
    for (i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("forked %d children, %d failed\n", children, failed);
    return failed != 0;
}
