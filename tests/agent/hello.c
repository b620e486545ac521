/*
 * A program that knows nothing of heapmin, for the agent's harmlessness
 * tests: prints a line and how many threads it has, reads its own
 * arguments back, and exits with status 3. With --settle first, it counts
 * its threads half a second after it starts (the agent's one thread waits
 * 0.1 s before its trimmer begins).
 */
#define _DEFAULT_SOURCE /* usleep */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    DIR *d;
    int threads = 0, i;

    if (argc > 1 && strcmp(argv[1], "--settle") == 0) {
        usleep(500000);
        argc--, argv++;
    }
    d = opendir("/proc/self/task");
    while (d != NULL && readdir(d) != NULL)
        threads++;
    if (d != NULL)
        closedir(d);
    printf("hello");
    for (i = 1; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\nthreads %d\n", threads - 2); /* less . and .. */
    return 3;
}
