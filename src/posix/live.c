/*
 * Which shared object serves this process's malloc (SPEC.md, "Finding the
 * live allocator"). Global lookup decides, not which allocators happen to
 * be loaded: a library may embed a private jemalloc, and LD_PRELOAD or the
 * program's own link order may put another allocator first.
 */
#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT, RTLD_NOLOAD */
#include <dlfcn.h>
#include <stddef.h>

#include "internal.h"

int heapmin__live_find(struct heapmin__live *live)
{
    Dl_info info;
    void *malloc_addr = dlsym(RTLD_DEFAULT, "malloc");

    if (malloc_addr == NULL || dladdr(malloc_addr, &info) == 0 ||
        info.dli_fname == NULL || info.dli_fbase == NULL)
        return -1;
    live->path = info.dli_fname;
    live->base = info.dli_fbase;
    /*
     * The object is loaded, so this only takes a reference. It fails for
     * the main program (malloc linked into it), whose handle is NULL's.
     */
    live->handle = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (live->handle == NULL)
        live->handle = dlopen(NULL, RTLD_LAZY);
    return live->handle != NULL ? 0 : -1;
}

int heapmin__live_contains(const struct heapmin__live *live, void *addr)
{
    Dl_info info;

    return addr != NULL && dladdr(addr, &info) != 0 &&
           info.dli_fbase == live->base;
}

void *heapmin__live_symbol(const struct heapmin__live *live, const char *symbol)
{
    void *addr = dlsym(live->handle, symbol);

    return heapmin__live_contains(live, addr) ? addr : NULL;
}
