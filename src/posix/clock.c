/*
 * The clocks on POSIX systems: monotonic time for timing a trim, CPU time
 * for the automatic trimmer's budget.
 */
#define _POSIX_C_SOURCE 200809L
#include <time.h>

#include "../backend.h"

heapmin_int64 heapmin__cpu_ns(int this_thread)
{
    struct timespec ts;

    if (clock_gettime(this_thread ? CLOCK_THREAD_CPUTIME_ID
                                  : CLOCK_PROCESS_CPUTIME_ID,
                      &ts) != 0)
        return -1;
    return (heapmin_int64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

heapmin_int64 heapmin__now_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (heapmin_int64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
