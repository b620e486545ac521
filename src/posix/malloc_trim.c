/*
 * POSIX backend for C libraries with malloc_trim (glibc 2.8 and later):
 * what trim_backend=auto picks when the C library has it.
 *
 * malloc_trim(0) walks every arena under its lock, gives back each whole
 * free page and shrinks the top of the heap. It cannot reach chunks cached
 * in other threads' tcaches.
 */
#include <malloc.h>

#include "../internal.h"

static int trim(void)
{
    /*
     * The result only says whether madvise ran (it stays 1 on a second call
     * that releases nothing), so it is no error and carries no information.
     */
    (void)malloc_trim(0);
    return 0;
}

const struct heapmin__backend *heapmin__backend(void)
{
    static const struct heapmin__backend backend = {"malloc_trim", trim};
    return &backend;
}
