/*
 * What the portable front (heapmin.c) expects of a backend, and of the
 * operating system's measuring file (posix/resident-*.c or win32/resident.c).
 * Exactly one backend is built into the library, chosen by meson's
 * trim_backend; the measuring file follows the host system.
 */
#ifndef HEAPMIN_BACKEND_H
#define HEAPMIN_BACKEND_H

#include "heapmin.h"

struct heapmin__backend {
    /*
     * What heapmin_backend() reports: the mechanism, then how it was
     * chosen, as "jemalloc (detected)".
     */
    const char *name;
    /* A sentence for the report: what trims, or why nothing can. */
    const char *detail;
    /*
     * Trims. Returns 0 on success (also when nothing was free), otherwise
     * the errno value the front reports. Never writes errno itself: the
     * front restores it, so the contract lives in one place.
     */
    int (*trim)(void);
    /*
     * Nonzero when trimming cannot work in this process, known without
     * trying: the errno value every trim gives (ENOSYS: nothing to call;
     * ENOTSUP: the build's allocator does not serve malloc). trim is then
     * never called.
     */
    int unable;
    /*
     * The allocator's own count of its free bytes, or NULL where it has
     * none. A trim brings it down where it counts only what a trim
     * releases (jemalloc's dirty pages, tcmalloc's free spans) and leaves
     * it where free memory stays counted, released or not (glibc's free
     * chunks). It may cost milliseconds (glibc walks its bins): the
     * automatic trimmer pays for it from its CPU budget.
     */
    heapmin_int64 (*free_bytes)(void);
    /*
     * 1 when a trim holds the allocator's lock for its whole length
     * (glibc's malloc_trim walks each arena under its lock): a thread that
     * allocates meanwhile waits for all of it, so the automatic trimmer
     * waits for a quiet program before a long one.
     */
    int holds_lock;
    /*
     * How many arenas a trim walks one lock at a time in a program with
     * this many threads (glibc gives each allocating thread one, up to its
     * arena_max): a thread waits only for its own arena's part. NULL: one.
     */
    int (*arenas)(int threads);
};

/*
 * The backend this build trims with. Backends that look at the process
 * (detection, the live-allocator check) do so once, at the first call, and
 * are thread-safe.
 */
const struct heapmin__backend *heapmin__backend(void);

/* A monotonic clock in nanoseconds, for timing a trim. */
heapmin_int64 heapmin__now_ns(void);

/*
 * CPU time in nanoseconds used by the whole process, or by the calling
 * thread alone: -1 where the system cannot tell.
 */
heapmin_int64 heapmin__cpu_ns(int this_thread);

#endif /* HEAPMIN_BACKEND_H */
