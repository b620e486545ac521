/*
 * A program that defines its own _heapmin (a link-time sentinel, as in a game
 * SDK and its forks) and still calls heapmin(): its definition must be the
 * one called, against the static and the shared library alike, and heapmin()
 * must still be the library's.
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include "heapmin.h"

#include <stdio.h>
#include <string.h>

#include "expect.h"
#ifdef OVERRIDE_SHARED
#include <dlfcn.h>
#endif

#define SENTINEL 4242

int _heapmin(void)
{
    return SENTINEL;
}

int main(void)
{
    int (*fn)(void) = _heapmin;
    int own = fn();
    int lib = heapmin();
    int expected_rc = expected().rc;

    printf("own _heapmin() = %d, heapmin() = %d (%s)\n", own, lib,
           heapmin_backend());
    if (own != SENTINEL) {
        fprintf(stderr, "the library's _heapmin won over the program's\n");
        return 1;
    }
#ifdef OVERRIDE_SHARED
    /*
     * Any other shared object that calls _heapmin must get the program's too:
     * the dynamic linker's global lookup has to find it first.
     */
    void *own_addr;

    /* POSIX guarantees function and object pointers have one size. */
    memcpy(&own_addr, &fn, sizeof own_addr);
    if (dlsym(RTLD_DEFAULT, "_heapmin") != own_addr) {
        fprintf(stderr,
                "global lookup of _heapmin does not find the program's\n");
        return 1;
    }
#endif
    return lib == expected_rc ? 0 : 1;
}
