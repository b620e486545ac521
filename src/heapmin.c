/*
 * The portable front: the contract every backend is held to. Backends
 * return 0 or an errno value; only this file touches errno.
 */
#include "heapmin.h"

#include <errno.h>

#include "internal.h"

int heapmin(void)
{
    /* Allocators may clobber errno even when they succeed (madvise, mmap). */
    int saved = errno;
    int err = heapmin__backend()->trim();

    if (err != 0) {
        errno = err;
        return -1;
    }
    errno = saved;
    return 0;
}

const char *heapmin_backend(void)
{
    return heapmin__backend()->name;
}

const char *heapmin_version(void)
{
    return HEAPMIN_VERSION_STRING;
}
