/*
 * jemalloc without the all-arenas index: flush the calling thread's cache,
 * then purge arena 0, 1, ... up to arenas.narenas, one at a time.
 *
 * Used for a C library that is jemalloc but whose header has no
 * MALLCTL_ARENAS_ALL: NetBSD, which declares mallctl in <malloc.h>. The
 * loop needs nothing newer than jemalloc 4, where an older jemalloc
 * answers ENOENT to the all-arenas index. Known: jemalloc creates arenas
 * lazily, and purging an index below arenas.narenas that was never used
 * succeeds and does nothing. Tested here against Debian's jemalloc 5.3
 * (tests/elsewhere); on NetBSD only in the workflow.
 */
#define _POSIX_C_SOURCE 200809L /* sysconf */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mechanism.h"

static int trim(void *entry)
{
    heapmin__mallctl_fn mallctl;
    unsigned narenas = 0, i;
    size_t len = sizeof narenas;
    char name[32];
    int err;

    memcpy(&mallctl, &entry, sizeof mallctl);
    err = heapmin__jemalloc_flush(mallctl);
    if (err == 0)
        err = mallctl("arenas.narenas", &narenas, &len, NULL, 0);
    for (i = 0; err == 0 && i < narenas; i++) {
        snprintf(name, sizeof name, "arena.%u.purge", i);
        err = mallctl(name, NULL, NULL, NULL, 0);
    }
    return err;
}

/*
 * Dirty and muzzy pages, summed over the arenas that exist (an unused
 * index answers ENOENT); -1 where jemalloc keeps no statistics.
 */
static heapmin_int64 free_bytes(void *entry)
{
    heapmin__mallctl_fn mallctl;
    unsigned long long epoch = 1;
    unsigned narenas = 0, i;
    size_t pages = 0, len = sizeof epoch;
    char name[48];

    memcpy(&mallctl, &entry, sizeof mallctl);
    if (mallctl("epoch", &epoch, &len, &epoch, len) != 0)
        return -1;
    len = sizeof narenas;
    if (mallctl("arenas.narenas", &narenas, &len, NULL, 0) != 0)
        return -1;
    for (i = 0; i < narenas; i++) {
        static const char *const kinds[] = {"pdirty", "pmuzzy"};
        size_t k;

        for (k = 0; k < 2; k++) {
            size_t n = 0;
            int err;

            len = sizeof n;
            snprintf(name, sizeof name, "stats.arenas.%u.%s", i, kinds[k]);
            err = mallctl(name, &n, &len, NULL, 0);
            if (err == ENOENT && i > 0)
                break; /* never initialised */
            if (err != 0)
                return -1;
            pages += n;
        }
    }
    return (heapmin_int64)pages * sysconf(_SC_PAGESIZE);
}

const struct heapmin__mechanism heapmin__jemalloc_arenas = {
    .name = "jemalloc",
    .probe = "mallctl",
    .entry = "mallctl",
    .trim = trim,
    .account = "mallctl",
    .free_bytes = free_bytes,
};
