/*
 * Memory pressure on POSIX systems other than Linux: no source heapmin
 * knows (FreeBSD's kqueue low-memory event and macOS's dispatch memory
 * pressure source are not wired in). The trimmer runs on its checks alone.
 */
#include <stdio.h>

#include "host.h"

int heapmin__pressure_open(struct heapmin__fd *fds, int *events, int max,
                           char *desc, size_t len)
{
    (void)fds;
    (void)events;
    (void)max;
    snprintf(desc, len, "not: no memory-pressure source on this system");
    return 0;
}
