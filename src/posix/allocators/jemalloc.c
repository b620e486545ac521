/*
 * jemalloc's own call: flush the calling thread's cache, then purge every
 * arena. Other threads' caches are out of reach.
 *
 * Used by detection (libjemalloc preloaded or linked first, on Linux), by
 * trim_backend=jemalloc with Debian's libjemalloc, and for FreeBSD's C
 * library (jemalloc 5 from FreeBSD 12) where <malloc_np.h> defines
 * MALLCTL_ARENAS_ALL, as meson checks (else jemalloc-arenas.c). Tested here
 * against Debian's jemalloc 5.3; on FreeBSD only in the workflow
 * (SUPPORTED_PLATFORMS.md).
 */
#define _POSIX_C_SOURCE 200809L /* sysconf */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "mechanism.h"

/*
 * jemalloc's MALLCTL_ARENAS_ALL (4096, stable since jemalloc 4.4): every
 * arena at once. The arena.<narenas> alias is deprecated.
 */
#define PURGE_ALL_ARENAS "arena.4096.purge"

int heapmin__jemalloc_flush(heapmin__mallctl_fn mallctl)
{
    bool enabled = false;
    size_t len = sizeof enabled;
    int err;

    /*
     * Without a thread cache (MALLOC_CONF=tcache:false) the flush would
     * fail with EFAULT, which is no reason to fail the trim.
     */
    err = mallctl("thread.tcache.enabled", &enabled, &len, NULL, 0);
    if (err != 0 || !enabled)
        return err;
    return mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
}

static int trim(void *entry)
{
    heapmin__mallctl_fn mallctl;
    int err;

    /* POSIX lets a function pointer travel as void *; copy it back. */
    memcpy(&mallctl, &entry, sizeof mallctl);
    err = heapmin__jemalloc_flush(mallctl);
    return err != 0 ? err : mallctl(PURGE_ALL_ARENAS, NULL, NULL, NULL, 0);
}

/*
 * Dirty and muzzy pages of every arena: freed, still resident, what a purge
 * gives back. The statistics are a snapshot refreshed by "epoch", which
 * only sums per-arena counters.
 */
static heapmin_int64 free_bytes(void *entry)
{
    heapmin__mallctl_fn mallctl;
    unsigned long long epoch = 1;
    size_t dirty = 0, muzzy = 0, len = sizeof epoch;

    memcpy(&mallctl, &entry, sizeof mallctl);
    if (mallctl("epoch", &epoch, &len, &epoch, len) != 0)
        return -1;
    len = sizeof dirty;
    if (mallctl("stats.arenas.4096.pdirty", &dirty, &len, NULL, 0) != 0 ||
        mallctl("stats.arenas.4096.pmuzzy", &muzzy, &len, NULL, 0) != 0)
        return -1;
    return (heapmin_int64)(dirty + muzzy) * sysconf(_SC_PAGESIZE);
}

const struct heapmin__mechanism heapmin__jemalloc = {
    .name = "jemalloc",
    .probe = "mallctl",
    .entry = "mallctl",
    .trim = trim,
    .account = "mallctl",
    .free_bytes = free_bytes,
};
