/*
 * glibc's own call (and that of other C libraries with malloc_trim):
 * malloc_trim(0) walks every arena under its lock, gives back each whole
 * free page and shrinks the top of the heap. It cannot reach chunks cached
 * in other threads' tcaches.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
static heapmin_int64 mallinfo2_free(void *account)
{
    struct mallinfo2 (*info)(void);

    memcpy(&info, &account, sizeof info);
    return (heapmin_int64)info().fordblks;
}
#else
/* mallinfo2 came with glibc 2.33; mallinfo's int fields overflow. */
#define ACCOUNT NULL
/* Not named free_bytes: the macro would rewrite the designator below. */
#define mallinfo2_free NULL
#endif

#if defined(__GLIBC__)
/*
 * glibc's arena_max: MALLOC_ARENA_MAX or the glibc.malloc.arena_max
 * tunable, else 8 arenas per CPU (2 where long is 32 bits). Read once.
 */
static int arena_max(void)
{
    static int max;
    const char *v = getenv("MALLOC_ARENA_MAX"), *t = getenv("GLIBC_TUNABLES");
    const char *key = "glibc.malloc.arena_max=";
    long n = v != NULL ? atol(v) : 0;

    if (max > 0)
        return max;
    if (n <= 0 && t != NULL && (t = strstr(t, key)) != NULL)
        n = atol(t + strlen(key));
    if (n <= 0) {
        n = sysconf(_SC_NPROCESSORS_ONLN);
        n = (n > 0 ? n : 1) * (sizeof(long) == 4 ? 2 : 8);
    }
    max = n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
    return max;
}

/* Threads that ended leave their arenas behind: counted as none. */
static int glibc_arenas(int threads)
{
    int max = arena_max();

    return threads < 1 ? 1 : threads < max ? threads : max;
}
#else
#define glibc_arenas NULL
#endif

const struct heapmin__mechanism heapmin__malloc_trim = {
    .name = "malloc_trim",
    .probe = "malloc_trim",
    .entry = "malloc_trim",
    .trim = trim,
    .account = ACCOUNT,
    .free_bytes = mallinfo2_free,
    /* Measured: a thread allocating in the arena waits the whole trim
     * (BENCHMARKS.md, the stall table). */
    .holds_lock = 1,
    .arenas = glibc_arenas,
};
