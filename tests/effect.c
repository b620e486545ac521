/*
 * The effect: fragment a heap (many small blocks, most freed at random) and
 * check that heapmin() brings resident size down to near the page-level
 * limit (malloc_trim) or well below the freed level (jemalloc's purge, which
 * keeps whole slabs). Thresholds are shares of what was reclaimable, so the
 * test does not depend on the machine; the numbers are printed.
 *
 * The share required depends on the mechanism heapmin_backend() names; the
 * contract test checks that it names the right one.
 */
#include "heapmin.h"

#include <stdio.h>

#include "expect.h"
#include "frag.h"

#if defined(_WIN32)
#include "win32/wine.h"
#endif

#define MIB (1024.0 * 1024.0)

int main(void)
{
    const char *backend = heapmin_backend();
    struct frag f;
    long long base, freed, after, limit;
    double reclaimed, needed;
    int rc;

#if defined(_WIN32)
    if (under_wine()) {
        puts("SKIP: Wine's HeapCompact is a stub and its heap keeps freed "
             "pages: "
             "Wine cannot show memory given back (the seam test covers every "
             "path of the backend)");
        return 77;
    }
#endif
    base = frag_resident();
    if (base < 0) {
        puts("SKIP: this system has no /proc/self/statm to read resident size "
             "from");
        return 77;
    }
    if (frag_fill(&f, (size_t)128 << 20, 16, 4112, 42) != 0) {
        fprintf(stderr, "out of memory while filling\n");
        return 99;
    }
    frag_evict(&f, 0.10, 43);
    freed = frag_resident();
    rc = heapmin();
    after = frag_resident();
    limit = frag_page_limit(&f, base);

    reclaimed = (double)(freed - after) / (double)(freed - limit);
    /* Not %zu: gcc checks mingw's printf as msvcrt's, which has none. */
    printf("backend %s: baseline %.1f MiB, after free %.1f MiB, after heapmin "
           "%.1f MiB, page-level limit %.1f MiB (%lu live blocks, %.1f MiB)\n",
           backend, base / MIB, freed / MIB, after / MIB, limit / MIB,
           (unsigned long)f.live, f.live_bytes / MIB);
    printf("reclaimed %.1f %% of what was reclaimable\n", 100 * reclaimed);
    frag_release(&f);

    if (rc != 0) {
        perror("heapmin");
        return 1;
    }
    /*
     * glibc keeps a free chunk's header page and its tcache; jemalloc keeps
     * every slab that still holds a live region; tcmalloc keeps spans with
     * a live object and its central caches; scudo keeps each size class's
     * pages that hold a live block. mimalloc and tbbmalloc release only
     * pages or slabs with no live block, of which a fragmented heap has next
     * to none, and modern Windows decommits on free already: there heapmin
     * must at least not grow resident size. Android's mallopt reaches scudo
     * or jemalloc: jemalloc's share. macOS's zones have never been measured:
     * a tenth is a guess, which the workflow's first run will check.
     */
    if (is_mechanism(backend, "malloc_trim"))
        needed = 0.90;
    else if (is_mechanism(backend, "jemalloc") ||
             is_mechanism(backend, "mallopt"))
        needed = 0.30;
    else if (is_mechanism(backend, "tcmalloc"))
        needed = 0.20;
    else if (is_mechanism(backend, "scudo"))
        needed = 0.50;
    else if (is_mechanism(backend, "mimalloc") ||
             is_mechanism(backend, "tbbmalloc") ||
             is_mechanism(backend, "win32"))
        needed = -0.01;
    else if (is_mechanism(backend, "malloc_zone"))
        needed = 0.10;
    else {
        fprintf(stderr, "no expectation for backend %s\n", backend);
        return 1;
    }
    if (reclaimed < needed) {
        fprintf(stderr, "reclaimed less than %.0f %%\n", 100 * needed);
        return 1;
    }
    return 0;
}
