/*
 * A program that knows nothing of heapmin, for the agent's harmlessness
 * tests: prints a line and how many threads it has, reads its own
 * arguments back, and exits with status 3.
 */
#include <dirent.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    DIR *d = opendir("/proc/self/task");
    int threads = 0, i;

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
