/*
 * Which shared object serves this program's malloc? A jemalloc build of
 * heapmin is useful only if the answer is jemalloc: a consumer linked through
 * heapmin_dep or pkg-config must end up with it: linking an allocator into
 * libheapmin alone does not make it the program's malloc.
 *
 * Usage: live-malloc SUBSTRING   (e.g. "jemalloc", or "libc.so")
 */
#define _GNU_SOURCE /* dladdr */
#include "heapmin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    /*
     * Global lookup, as libc's own internals and every library see it. The
     * program does not reference malloc itself, so a linker running with
     * --as-needed is free to drop an allocator it was only told to link.
     */
    void *addr = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info info;

    if (argc != 2) {
        fprintf(stderr, "usage: live-malloc SUBSTRING\n");
        return 99;
    }
    if (addr == NULL || dladdr(addr, &info) == 0 || info.dli_fname == NULL) {
        puts("SKIP: malloc is in no shared object (a static binary)");
        return 77;
    }
    printf("malloc is served by %s; heapmin trims with %s\n", info.dli_fname,
           heapmin_backend());
    if (strstr(info.dli_fname, argv[1]) == NULL) {
        fprintf(stderr, "expected an object named like \"%s\"\n", argv[1]);
        return 1;
    }
    return 0;
}
