/*
 * The effect: fragment a heap (many small blocks, most freed at random) and
 * check that heapmin() brings resident size down to near the page-level
 * limit (malloc_trim) or well below the freed level (jemalloc's purge, which
 * keeps whole slabs). Thresholds are shares of what was reclaimable, so the
 * test does not depend on the machine; the numbers are printed.
 *
 * Usage: effect BACKEND
 */
#include "heapmin.h"

#include <stdio.h>
#include <string.h>

#include "frag.h"

#if defined(_WIN32)
#include "win32/wine.h"
#endif

#define MIB (1024.0 * 1024.0)

int main(int argc, char **argv)
{
    struct frag f;
    long long base, freed, after, limit;
    double reclaimed, needed;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: effect BACKEND\n");
        return 99;
    }
#if defined(_WIN32)
    if (under_wine()) {
        puts("SKIP: Wine's HeapCompact is a stub and its heap keeps freed pages: "
             "Wine cannot show memory given back (the seam test covers every "
             "path of the backend)");
        return 77;
    }
#endif
    base = frag_resident();
    if (base < 0) {
        puts("SKIP: this system has no /proc/self/statm to read resident size from");
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
    printf("backend %s: baseline %.1f MiB, after free %.1f MiB, after heapmin "
           "%.1f MiB, page-level limit %.1f MiB (%zu live blocks, %.1f MiB)\n",
           heapmin_backend(), base / MIB, freed / MIB, after / MIB,
           limit / MIB, f.live, f.live_bytes / MIB);
    printf("reclaimed %.1f %% of what was reclaimable\n", 100 * reclaimed);
    frag_release(&f);

    if (rc != 0) {
        perror("heapmin");
        return 1;
    }
    if (strcmp(heapmin_backend(), argv[1]) != 0) {
        fprintf(stderr, "backend is %s, expected %s\n", heapmin_backend(), argv[1]);
        return 1;
    }
    /*
     * glibc keeps a free chunk's header page and its tcache; jemalloc keeps
     * every slab that still holds a live region. Modern Windows decommits on
     * free already and heapmin may find little left: it must not grow the
     * working set.
     */
    if (strcmp(argv[1], "win32") == 0)
        needed = -0.01;
    else
        needed = strcmp(argv[1], "malloc_trim") == 0 ? 0.90 : 0.30;
    if (reclaimed < needed) {
        fprintf(stderr, "reclaimed less than %.0f %%\n", 100 * needed);
        return 1;
    }
    return 0;
}
