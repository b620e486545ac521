/*
 * oneTBB's tbbmalloc: libtbbmalloc_proxy.so.2 serves malloc (preloaded, or
 * linked first), recognised by __TBB_malloc_proxy; the call,
 * scalable_allocation_command(TBBMALLOC_CLEAN_ALL_BUFFERS, NULL), lives in
 * libtbbmalloc.so.2, which the proxy needs directly. It empties the
 * allocator's caches of free memory. It is a slab allocator: a slab with one
 * live object stays, so on a fragmented heap it releases little.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "mechanism.h"

/* From <oneapi/tbb/scalable_allocator.h>, stable since TBB 4.2. */
#define TBBMALLOC_CLEAN_ALL_BUFFERS 0
enum {
    TBBMALLOC_OK,
    TBBMALLOC_INVALID_PARAM,
    TBBMALLOC_UNSUPPORTED,
    TBBMALLOC_NO_MEMORY,
    TBBMALLOC_NO_EFFECT
};

static int trim(void *entry)
{
    int (*command)(int, void *);

    memcpy(&command, &entry, sizeof command);
    switch (command(TBBMALLOC_CLEAN_ALL_BUFFERS, NULL)) {
    case TBBMALLOC_OK:
    case TBBMALLOC_NO_EFFECT: /* nothing was cached: success too */
        return 0;
    case TBBMALLOC_UNSUPPORTED:
        return ENOSYS;
    case TBBMALLOC_NO_MEMORY:
        return ENOMEM;
    default:
        return EINVAL;
    }
}

const struct heapmin__mechanism heapmin__tbbmalloc = {
    .name = "tbbmalloc",
    .probe = "__TBB_malloc_proxy",
    .entry = "scalable_allocation_command",
    .entry_in_needed = 1,
    .trim = trim,
};
