/*
 * heapmin-bench --auto where there is no Linux /proc: the timeline reads
 * each thread's CPU time from /proc/self/task, re-runs itself through
 * /proc/self/exe and compares policies set with glibc's tunables and
 * LD_PRELOAD. Elsewhere it says so, instead of measuring something else.
 */
#include "timeline.h"

#include <stdio.h>

int timeline_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("heapmin-bench: --auto needs Linux (/proc/self/task, glibc's "
          "tunables); this system has neither\n",
          stderr);
    return 2;
}

int timeline_child(const char *workload, const char *policy, double scale)
{
    (void)workload;
    (void)policy;
    (void)scale;
    return timeline_main(0, NULL);
}
