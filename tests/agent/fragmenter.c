/*
 * A program that knows nothing of heapmin: builds a fragmented heap (256
 * MiB by default, 16-4112-byte blocks), frees 90 % of it at random, prints
 * "ready RESIDENT LIMIT" (bytes: resident size after the frees, and the
 * page-level limit, frag.h) and idles until its standard input closes.
 *
 * With --fork N it first forks N workers that each do the same (a prefork
 * server's shape); each prints its own ready line with its PID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frag.h"

static void work(size_t mib)
{
    struct frag f;
    long long base = frag_resident(), limit;
    char c;

    memset(&f, 0, sizeof f);
    if (frag_fill(&f, mib << 20, 16, 4112, 42) != 0) {
        fprintf(stderr, "fragmenter: out of memory\n");
        exit(1);
    }
    frag_evict(&f, 0.1, 43);
    limit = frag_page_limit(&f, base);
    printf("ready %ld %lld %lld\n", (long)getpid(), frag_resident(), limit);
    fflush(stdout);
    while (read(0, &c, 1) > 0)
        ;
}

int main(int argc, char **argv)
{
    size_t mib = 256;
    int workers = 0, i;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--mib") == 0)
            mib = (size_t)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--fork") == 0)
            workers = atoi(argv[i + 1]);
    }
    for (i = 0; i < workers; i++) {
        pid_t p = fork();
        if (p < 0) {
            perror("fork");
            return 1;
        }
        if (p == 0) {
            work(mib);
            return 0;
        }
    }
    if (workers > 0) {
        int status, bad = 0;
        while (wait(&status) > 0)
            bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        return bad;
    }
    work(mib);
    return 0;
}
