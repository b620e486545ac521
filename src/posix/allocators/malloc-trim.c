/*
 * glibc's own call (and that of other C libraries with malloc_trim):
 * malloc_trim(0) walks every arena under its lock, gives back each whole
 * free page and shrinks the top of the heap. It cannot reach chunks cached
 * in other threads' tcaches.
 */
#include <stddef.h>
#include <string.h>

#include "mechanism.h"

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

#if defined(__GLIBC__) &&                                                      \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define ACCOUNT "mallinfo2"

/*
 * Free bytes in every arena's bins and tops (mallinfo2's fordblks), which
 * a trim does not change: free chunks stay free, released or not. glibc
 * walks every bin under each arena's lock to count them: 3.8 ms at 256 MiB
 * here, 14 ms at 1 GiB.
 */
static heapmin_int64 free_bytes(void *account)
{
    struct mallinfo2 (*info)(void);

    memcpy(&info, &account, sizeof info);
    return (heapmin_int64)info().fordblks;
}
#else
/* mallinfo2 came with glibc 2.33; mallinfo's int fields overflow. */
#define ACCOUNT NULL
#define free_bytes NULL
#endif

const struct heapmin__mechanism heapmin__malloc_trim = {
    .name = "malloc_trim",
    .probe = "malloc_trim",
    .entry = "malloc_trim",
    .trim = trim,
    .account = ACCOUNT,
    .free_bytes = free_bytes,
    /* Measured: a thread allocating in the arena waits the whole trim
     * (BENCHMARKS.md, the stall table). */
    .holds_lock = 1,
};
