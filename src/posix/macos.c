/*
 * Backend for macOS (and iOS): malloc_zone_pressure_relief(NULL, 0) asks
 * every registered malloc zone to give its free pages back (macOS 10.7
 * and later). Picked by trim_backend=auto where <malloc/malloc.h> has it,
 * or with trim_backend=malloc_zone.
 *
 * Known: it returns a count of bytes released, but libmalloc's own zones
 * have long returned 0 whatever they released, so the count is ignored
 * and heapmin_trim() measures instead (the footprint, resident-macos.c).
 * A zone that does not implement pressure relief (jemalloc's, when it
 * replaces the default zone) is skipped by libmalloc itself: nothing to
 * detect. Untested: never built or run on our machines; the workflow
 * builds and tests it on a macOS runner.
 */
#include <malloc/malloc.h>
#include <stddef.h>

#include "../backend.h"

static int trim(void)
{
    (void)malloc_zone_pressure_relief(NULL, 0);
    return 0;
}

const struct heapmin__backend *heapmin__backend(void)
{
    static const struct heapmin__backend backend = {
        "malloc_zone (built in)",
        "heapmin calls malloc_zone_pressure_relief(NULL, 0): every malloc "
        "zone gives its free pages back",
        trim, 0, NULL,
        /* Not measured: treated as holding the zones' locks throughout. */
        1, NULL};
    return &backend;
}
