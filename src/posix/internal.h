/*
 * Private to the POSIX backends: the allocators heapmin knows, and how to
 * tell which one serves this process's malloc.
 */
#ifndef HEAPMIN_POSIX_INTERNAL_H
#define HEAPMIN_POSIX_INTERNAL_H

#include "../internal.h"

/*
 * One allocator's own way of giving memory back: the name of its entry
 * point, and how to call it. The entry point comes from the object that
 * serves malloc (detect.c) or from the link (builtin.c).
 */
struct heapmin__mechanism {
    const char *name; /* "jemalloc" */
    /*
     * A symbol only this allocator's object defines: how detection tells
     * it from the others. Usually the entry point itself; scudo's mallopt
     * is glibc's name too, so scudo is known by __scudo_print_stats.
     */
    const char *probe;
    const char *entry; /* "mallctl" */
    /*
     * Whether the entry point may live in an object the allocator's own
     * object needs directly (DT_NEEDED) rather than in it: tbbmalloc's
     * proxy serves malloc, libtbbmalloc.so.2 has the call. The one
     * exception to "the call must come from the object that serves malloc".
     */
    int entry_in_needed;
    /* Calls the entry point; returns 0 or an errno value. */
    int (*trim)(void *entry);
    /*
     * Where the allocator counts its free bytes (the backend's free_bytes):
     * the symbol, looked up in its object like the entry point, and how to
     * read it; NULL for both elsewhere.
     */
    const char *account;
    heapmin_int64 (*free_bytes)(void *account);
};

extern const struct heapmin__mechanism heapmin__jemalloc;
extern const struct heapmin__mechanism heapmin__jemalloc_arenas;
extern const struct heapmin__mechanism heapmin__malloc_trim;
extern const struct heapmin__mechanism heapmin__mimalloc;
extern const struct heapmin__mechanism heapmin__scudo;
extern const struct heapmin__mechanism heapmin__tbbmalloc;
extern const struct heapmin__mechanism heapmin__tcmalloc;

/* jemalloc's control call, shared by jemalloc.c and jemalloc_arenas.c. */
typedef int (*heapmin__mallctl_fn)(const char *, void *, size_t *, void *,
                                   size_t);

/*
 * Flushes the calling thread's jemalloc cache (other threads' are out of
 * reach), if it has one. Returns 0 or mallctl's error.
 */
int heapmin__jemalloc_flush(heapmin__mallctl_fn mallctl);

/*
 * mallopt(M_PURGE_ALL), else mallopt(M_PURGE): scudo's and Android's C
 * library's request to give every free page back. Returns 0, or ENOSYS when
 * mallopt knows neither (answers 0 to both).
 */
int heapmin__mallopt_purge(int (*mallopt)(int, int));

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

#endif /* HEAPMIN_POSIX_INTERNAL_H */
