/*
 * POSIX backend for an explicit trim_backend: malloc_trim, jemalloc,
 * tcmalloc, mimalloc, scudo or tbbmalloc, linked in; also the C library's
 * own jemalloc on FreeBSD and NetBSD, which trim_backend=auto picks there.
 * meson writes the choice into config.h: HEAPMIN_MECHANISM (the mechanism,
 * as heapmin__jemalloc), HEAPMIN_ENTRY (its entry point, as mallctl),
 * HEAPMIN_ENTRY_HEADER (where that is declared) and HEAPMIN_PROBE (the
 * symbol that identifies the allocator, often the entry point itself).
 *
 * Linking an allocator does not make it the process's malloc: the dynamic
 * linker searches the program's own libraries first, and the C library is
 * among them. So at the first call heapmin checks that the linked probe
 * and entry point live in the object that serves malloc, as detection does. If
 * another allocator serves it, heapmin() fails with ENOTSUP and the report
 * names it, instead of reporting success for a trim that touched nothing. A
 * static binary has no objects to compare and keeps the build's choice.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include HEAPMIN_ENTRY_HEADER

/*
 * Only its address is taken. scudo's and tbbmalloc's probes have no C
 * header on Debian (scudo's is in clang's resource directory, the proxy's
 * is C++).
 */
#if !defined(HEAPMIN_PROBE_IS_ENTRY)
extern void HEAPMIN_PROBE(void);
#endif

#include "live.h"

static struct {
    struct heapmin__backend backend;
    void *entry;
    void *account;
    char name[64];
    char detail[512];
} self;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static int trim_linked(void)
{
    return HEAPMIN_MECHANISM.trim(self.entry);
}

static heapmin_int64 free_bytes_linked(void)
{
    return HEAPMIN_MECHANISM.free_bytes(self.account);
}

static void check(void)
{
    const struct heapmin__mechanism *m = &HEAPMIN_MECHANISM;
    /* void (*)(void) is C's generic function pointer; POSIX lets it travel
     * as void *. */
    void (*linked)(void) = (void (*)(void))HEAPMIN_ENTRY;
    void (*linked_probe)(void) = (void (*)(void))HEAPMIN_PROBE;
    struct heapmin__live live;
    void *probe;

    memcpy(&self.entry, &linked, sizeof self.entry);
    memcpy(&probe, &linked_probe, sizeof probe);
    self.backend.name = self.name;
    self.backend.detail = self.detail;
    self.backend.trim = trim_linked;
    self.backend.holds_lock = m->holds_lock;
    self.backend.arenas = m->arenas;
    snprintf(self.name, sizeof self.name, "%s (built in)", m->name);
    if (heapmin__live_find(&live) != 0) {
        snprintf(self.detail, sizeof self.detail,
                 "malloc is in no shared object; heapmin calls the linked %s",
                 m->entry);
    } else if (heapmin__live_is(&live, m, probe, self.entry)) {
        snprintf(self.detail, sizeof self.detail,
                 "malloc is served by %s; heapmin calls its %s", live.path,
                 m->entry);
        if (m->account != NULL) {
            self.account = heapmin__live_symbol(&live, m->account);
            if (heapmin__live_contains(&live, self.account))
                self.backend.free_bytes = free_bytes_linked;
        }
    } else {
        self.backend.unable = ENOTSUP;
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
