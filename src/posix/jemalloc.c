/*
 * POSIX backend for programs whose malloc is jemalloc (trim_backend=jemalloc).
 * The build links jemalloc so that it comes before the C library in the
 * program's symbol lookup order; otherwise the purge below would succeed
 * and release nothing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include <jemalloc/jemalloc.h>

#include "../internal.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static int trim(void)
{
    bool enabled = false;
    size_t len = sizeof enabled;
    int err;

    /*
     * Flush the calling thread's cache first so its chunks are in the arenas
     * when they are purged. Other threads' caches are out of reach. Without a
     * cache (MALLOC_CONF=tcache:false) the flush would fail with EFAULT,
     * which is no reason to fail the trim.
     */
    err = mallctl("thread.tcache.enabled", &enabled, &len, NULL, 0);
    if (err != 0)
        return err;
    if (enabled) {
        err = mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
        if (err != 0)
            return err;
    }

    /* Every arena at once; the arena.<narenas> alias is deprecated. */
    return mallctl("arena." STR(MALLCTL_ARENAS_ALL) ".purge", NULL, NULL, NULL,
                   0);
}

const struct heapmin__backend *heapmin__backend(void)
{
    static const struct heapmin__backend backend = {"jemalloc", trim};
    return &backend;
}
