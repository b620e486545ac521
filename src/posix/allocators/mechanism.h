/*
 * The allocators heapmin knows, one file each in this folder: each one's
 * own call that gives memory back, and where it counts its free bytes.
 * The backends (detect.c, builtin.c, android.c) choose among them.
 */
#ifndef HEAPMIN_POSIX_ALLOCATORS_MECHANISM_H
#define HEAPMIN_POSIX_ALLOCATORS_MECHANISM_H

#include "../../backend.h"

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
    /* Its trim holds its lock for the whole call, and how many such locks
     * it takes in turn (the backend's). */
    int holds_lock;
    int (*arenas)(int threads);
};

extern const struct heapmin__mechanism heapmin__jemalloc;
extern const struct heapmin__mechanism heapmin__jemalloc_arenas;
extern const struct heapmin__mechanism heapmin__malloc_trim;
extern const struct heapmin__mechanism heapmin__mimalloc;
extern const struct heapmin__mechanism heapmin__scudo;
extern const struct heapmin__mechanism heapmin__tbbmalloc;
extern const struct heapmin__mechanism heapmin__tcmalloc;

/* jemalloc's control call, shared by jemalloc.c and jemalloc-arenas.c. */
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

#endif /* HEAPMIN_POSIX_ALLOCATORS_MECHANISM_H */
