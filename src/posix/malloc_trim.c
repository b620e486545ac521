/*
 * glibc's own call (and that of other C libraries with malloc_trim):
 * malloc_trim(0) walks every arena under its lock, gives back each whole
 * free page and shrinks the top of the heap. It cannot reach chunks cached
 * in other threads' tcaches.
 */
#include <stddef.h>
#include <string.h>

#include "internal.h"

static int trim(void *entry)
{
    int (*malloc_trim)(size_t);

    memcpy(&malloc_trim, &entry, sizeof malloc_trim);
    /*
     * The result only says whether madvise ran (it stays 1 on a second call
     * that releases nothing), so it is no error and carries no information.
     */
    (void)malloc_trim(0);
    return 0;
}

const struct heapmin__mechanism heapmin__malloc_trim = {
    .name = "malloc_trim",
    .probe = "malloc_trim",
    .entry = "malloc_trim",
    .trim = trim,
};
