/*
 * Backend for Android: bionic's mallopt(M_PURGE_ALL), else mallopt(M_PURGE).
 * Picked by trim_backend=auto where <malloc.h> defines M_PURGE (bionic,
 * API 28 and later; M_PURGE_ALL from API 34), or with trim_backend=mallopt.
 *
 * Bionic passes the request to whichever allocator it was built with
 * (scudo since Android 11, jemalloc before and on low-memory devices),
 * so there is no other allocator to look for: an app cannot preload one.
 * Older Android answers 0 to both, and heapmin() fails with ENOSYS. Known
 * here: the same calls against scudo preloaded on Linux, through this very
 * file (tests/elsewhere); on Android only a cross build in the workflow.
 */
#include <malloc.h>
#include <stddef.h>

#include "allocators/mechanism.h"

static int trim(void)
{
    return heapmin__mallopt_purge(mallopt);
}

const struct heapmin__backend *heapmin__backend(void)
{
    static const struct heapmin__backend backend = {
        "mallopt (built in)",
        "heapmin calls the C library's mallopt(M_PURGE_ALL), else "
        "mallopt(M_PURGE), which its allocator answers",
        trim, 0, NULL,
        /* scudo releases in steps (BENCHMARKS.md, the stall table). */
        0, NULL};
    return &backend;
}
