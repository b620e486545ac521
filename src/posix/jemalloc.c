/*
 * jemalloc's own call: flush the calling thread's cache, then purge every
 * arena. Other threads' caches are out of reach.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "internal.h"

/*
 * jemalloc's MALLCTL_ARENAS_ALL (4096, stable since jemalloc 4.4): every
 * arena at once. The arena.<narenas> alias is deprecated.
 */
#define PURGE_ALL_ARENAS "arena.4096.purge"

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);

static int trim(void *entry)
{
    mallctl_fn mallctl;
    bool enabled = false;
    size_t len = sizeof enabled;
    int err;

    /* POSIX lets a function pointer travel as void *; copy it back. */
    memcpy(&mallctl, &entry, sizeof mallctl);
    /*
     * Without a thread cache (MALLOC_CONF=tcache:false) the flush would
     * fail with EFAULT, which is no reason to fail the trim.
     */
    err = mallctl("thread.tcache.enabled", &enabled, &len, NULL, 0);
    if (err != 0)
        return err;
    if (enabled) {
        err = mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
        if (err != 0)
            return err;
    }
    return mallctl(PURGE_ALL_ARENAS, NULL, NULL, NULL, 0);
}

const struct heapmin__mechanism heapmin__jemalloc = {"jemalloc", "mallctl",
                                                     "mallctl", 0, trim};
