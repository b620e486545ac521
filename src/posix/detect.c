/*
 * POSIX backend that trims whatever allocator really serves malloc: what
 * trim_backend=auto picks where the C library has malloc_trim (glibc).
 *
 * At the first call it finds the shared object that provides the malloc
 * the program calls (live.c) and uses that allocator's own entry point:
 * jemalloc's mallctl, tcmalloc's MallocExtension_ReleaseFreeMemory,
 * mimalloc's mi_collect, scudo's mallopt(M_PURGE), tbbmalloc's
 * scalable_allocation_command or glibc's malloc_trim. So a program started with
 * LD_PRELOAD=libjemalloc.so.2 gets jemalloc purged, not glibc's unused
 * heap trimmed. An allocator heapmin does not know (a sanitizer's,
 * valgrind's) gives -1 and ENOSYS, with the report naming it: calling
 * glibc's malloc_trim there would report success and release nothing.
 * In a static binary malloc is the C library's, linked in.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "live.h"

static const struct heapmin__mechanism *const known[] = {
    &heapmin__jemalloc,
    &heapmin__tcmalloc,
    &heapmin__mimalloc,
    &heapmin__scudo,
    &heapmin__tbbmalloc,
    &heapmin__malloc_trim, /* last: the others' objects need glibc */
};

/* Written once under pthread_once, read-only after. */
static struct {
    struct heapmin__backend backend;
    const struct heapmin__mechanism *mechanism;
    void *entry;
    void *account;
    char name[64];
    char detail[512];
} chosen;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static int trim_chosen(void)
{
    return chosen.mechanism->trim(chosen.entry);
}

static heapmin_int64 free_bytes_chosen(void)
{
    return chosen.mechanism->free_bytes(chosen.account);
}

/* The allocator's count of free bytes, if it has one in its object. */
static void find_account(const struct heapmin__live *live)
{
    const struct heapmin__mechanism *m = chosen.mechanism;

    if (m->account == NULL)
        return;
    chosen.account = heapmin__live_symbol(live, m->account);
    if (heapmin__live_contains(live, chosen.account))
        chosen.backend.free_bytes = free_bytes_chosen;
}

static void detect(void)
{
    struct heapmin__live live;
    int (*linked)(size_t) = malloc_trim;
    size_t i;

    chosen.backend.name = chosen.name;
    chosen.backend.detail = chosen.detail;
    chosen.backend.trim = trim_chosen;
    if (heapmin__live_find(&live) != 0) {
        chosen.mechanism = &heapmin__malloc_trim;
        chosen.backend.holds_lock = 1;
        chosen.backend.arenas = heapmin__malloc_trim.arenas;
        memcpy(&chosen.entry, &linked, sizeof chosen.entry);
        snprintf(chosen.name, sizeof chosen.name,
                 "malloc_trim (static binary)");
        snprintf(chosen.detail, sizeof chosen.detail,
                 "malloc is in no shared object; heapmin calls the C "
                 "library's malloc_trim, linked in");
        return;
    }
    /* The live object's handle stays open: the entry point stays valid. */
    for (i = 0; i < sizeof known / sizeof known[0]; i++) {
        void *probe = heapmin__live_symbol(&live, known[i]->probe);
        void *entry = heapmin__live_symbol(&live, known[i]->entry);

        if (!heapmin__live_is(&live, known[i], probe, entry))
            continue;
        chosen.mechanism = known[i];
        chosen.entry = entry;
        chosen.backend.holds_lock = known[i]->holds_lock;
        chosen.backend.arenas = known[i]->arenas;
        find_account(&live);
        snprintf(chosen.name, sizeof chosen.name, "%s (detected)",
                 known[i]->name);
        snprintf(chosen.detail, sizeof chosen.detail,
                 "malloc is served by %s; heapmin calls its %s", live.path,
                 known[i]->entry);
        return;
    }
    chosen.backend.unable = ENOSYS;
    snprintf(chosen.name, sizeof chosen.name, "none (detected)");
    snprintf(chosen.detail, sizeof chosen.detail,
             "malloc is served by %s, an allocator heapmin does not know: "
             "nothing can be trimmed",
             live.path);
}

const struct heapmin__backend *heapmin__backend(void)
{
    pthread_once(&once, detect);
    return &chosen.backend;
}
