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
    const char *name;  /* "jemalloc" */
    const char *entry; /* "mallctl" */
    /* Calls the entry point; returns 0 or an errno value. */
    int (*trim)(void *entry);
};

extern const struct heapmin__mechanism heapmin__jemalloc;
extern const struct heapmin__mechanism heapmin__malloc_trim;
extern const struct heapmin__mechanism heapmin__mimalloc;
extern const struct heapmin__mechanism heapmin__tcmalloc;

/* The shared object that serves malloc, as dladdr and dlopen see it. */
struct heapmin__live {
    const char *path; /* as the dynamic linker loaded it */
    void *base;       /* where it is mapped: identifies it */
    void *handle;     /* searches it first, then its dependencies */
};

/*
 * Finds the object that serves malloc. Returns 0, or -1 when malloc is in
 * no shared object (a static binary).
 */
int heapmin__live_find(struct heapmin__live *live);

/*
 * The address of symbol in the live object itself, or NULL. dlsym on the
 * object's handle also searches its dependencies (on libjemalloc's handle,
 * malloc_trim is glibc's), so a hit elsewhere does not count.
 */
void *heapmin__live_symbol(const struct heapmin__live *live,
                           const char *symbol);

/* Whether addr lies in the live object. */
int heapmin__live_contains(const struct heapmin__live *live, void *addr);

#endif /* HEAPMIN_POSIX_INTERNAL_H */
