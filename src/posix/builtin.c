/*
 * POSIX backend for an explicit trim_backend: malloc_trim, jemalloc,
 * tcmalloc or mimalloc, linked in. meson defines HEAPMIN_MECHANISM (the
 * mechanism, as heapmin__jemalloc), HEAPMIN_ENTRY (its entry point, as
 * mallctl) and HEAPMIN_ENTRY_HEADER (where that is declared).
 *
 * Linking an allocator does not make it the process's malloc (SPEC.md,
 * "POSIX facts"). So at the first call heapmin checks that the linked entry
 * point lives in the object that serves malloc. If another allocator
 * serves it, heapmin() fails with ENOTSUP and the report names it, instead
 * of reporting success for a trim that touched nothing. A static binary
 * has no objects to compare and keeps the build's choice.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include HEAPMIN_ENTRY_HEADER

#include "internal.h"

static struct {
    struct heapmin__backend backend;
    void *entry;
    char name[64];
    char detail[512];
} self;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static int trim_linked(void)
{
    return HEAPMIN_MECHANISM.trim(self.entry);
}

static int trim_not_live(void)
{
    return ENOTSUP;
}

static void check(void)
{
    const struct heapmin__mechanism *m = &HEAPMIN_MECHANISM;
    /* void (*)(void) is C's generic function pointer; POSIX lets it travel
     * as void *. */
    void (*linked)(void) = (void (*)(void))HEAPMIN_ENTRY;
    struct heapmin__live live;

    memcpy(&self.entry, &linked, sizeof self.entry);
    self.backend.name = self.name;
    self.backend.detail = self.detail;
    self.backend.trim = trim_linked;
    snprintf(self.name, sizeof self.name, "%s (built in)", m->name);
    if (heapmin__live_find(&live) != 0) {
        snprintf(self.detail, sizeof self.detail,
                 "malloc is in no shared object; heapmin calls the linked %s",
                 m->entry);
    } else if (heapmin__live_contains(&live, self.entry)) {
        snprintf(self.detail, sizeof self.detail,
                 "malloc is served by %s; heapmin calls its %s", live.path,
                 m->entry);
    } else {
        self.backend.trim = trim_not_live;
        snprintf(self.detail, sizeof self.detail,
                 "this build trims %s, but malloc is served by %s: link %s "
                 "into the program itself (heapmin_dep and heapmin.pc do)",
                 m->name, live.path, m->name);
    }
}

const struct heapmin__backend *heapmin__backend(void)
{
    pthread_once(&once, check);
    return &self.backend;
}
