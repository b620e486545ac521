/*
 * Which shared object serves this process's malloc (live.c), and its
 * symbols read from the object's own tables (elf.c): how detect.c and
 * builtin.c know the allocator they call is the one in use.
 */
#ifndef HEAPMIN_POSIX_LIVE_H
#define HEAPMIN_POSIX_LIVE_H

#include "config.h"
#include "allocators/mechanism.h"

/* The shared object that serves malloc, as dladdr and dlopen see it. */
struct heapmin__live {
    const char *path; /* as the dynamic linker loaded it */
    void *base;       /* where it is mapped: identifies it */
    void *handle;     /* searches it first, then its dependencies */
    void *map;        /* its struct link_map, where dladdr1 tells (glibc) */
};

#if defined(HEAPMIN_HAVE_DLADDR1)
struct link_map;
/*
 * symbol's default definition in the loaded object m, from its own symbol
 * table (elf.c), or NULL. Unlike dlsym(), allocates nothing, also when
 * the symbol is missing.
 */
void *heapmin__elf_symbol(const struct link_map *m, const char *symbol);
#endif

/*
 * Finds the object that serves malloc: the first in the global lookup order
 * that defines it, also in a non-PIE executable whose malloc is a PLT stub.
 * Returns 0, or -1 when malloc is in no shared object (a static binary).
 */
int heapmin__live_find(struct heapmin__live *live);

/*
 * symbol as looked up from the live object, or NULL. dlsym on the object's
 * handle also searches its dependencies (on libjemalloc's handle,
 * malloc_trim is glibc's): judge the result with heapmin__live_is.
 */
void *heapmin__live_symbol(const struct heapmin__live *live,
                           const char *symbol);

/* Whether addr lies in the live object. */
int heapmin__live_contains(const struct heapmin__live *live, void *addr);

/*
 * Whether the live object is m's allocator, given where m's probe and entry
 * point were found: the probe must lie in the live object, and the entry
 * point too (or, where m allows it, in an object the live one needs).
 */
int heapmin__live_is(const struct heapmin__live *live,
                     const struct heapmin__mechanism *m, void *probe,
                     void *entry);

#endif /* HEAPMIN_POSIX_LIVE_H */
