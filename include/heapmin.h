/*
 * heapmin.h: give freed heap memory back to the operating system.
 *
 * heapmin() is one portable call for what programs write as an #ifdef ladder
 * (the Microsoft CRT's _heapmin, glibc's malloc_trim, jemalloc's arena purge,
 * or nothing). The backend is chosen when heapmin is built; heapmin_backend()
 * names it. heapmin_trim() does the same and reports what was released.
 *
 * This header is self-contained, compiles as C89, C99 and C++, and includes
 * only <stddef.h> (and, on Windows, <malloc.h>: see _heapmin below).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef HEAPMIN_H
#define HEAPMIN_H

#include <stddef.h>

/* Bumped on a change that breaks programs built against an older version. */
#define HEAPMIN_VERSION_MAJOR 0
/* Bumped when functions are added; older programs keep working. */
#define HEAPMIN_VERSION_MINOR 3
/* Bumped for fixes that change no interface. */
#define HEAPMIN_VERSION_PATCH 0
#define HEAPMIN_VERSION_NUMBER                                                 \
    (HEAPMIN_VERSION_MAJOR * 10000 + HEAPMIN_VERSION_MINOR * 100 +             \
     HEAPMIN_VERSION_PATCH)
#define HEAPMIN_VERSION_STRING "0.3.0"

/*
 * HEAPMIN_API marks what the library exports. The library is built with
 * hidden visibility, so nothing else leaves it. On Windows the DLL's exports
 * come from a module-definition file instead, so the same declarations serve
 * the DLL and the static library and consumers define no macro.
 */
#if defined(_WIN32)
#define HEAPMIN_API
#elif defined(__GNUC__) && __GNUC__ >= 4
#define HEAPMIN_API __attribute__((visibility("default")))
#else
#define HEAPMIN_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Returns freed heap memory held by the allocator to the operating system.
 * Returns 0 on success, including when there was nothing to release, and
 * then leaves errno untouched. Returns -1 and sets errno on failure; errno is
 * ENOSYS when this build or this system has no way to trim, and ENOTSUP when
 * this build trims an allocator (trim_backend=jemalloc, say) that does not
 * serve this process's malloc. Safe to call from any thread at any time,
 * concurrently with allocation in other threads. Not async-signal-safe:
 * allocators take locks.
 */
HEAPMIN_API int heapmin(void);

/*
 * The Microsoft C runtime's name for heapmin(), with the same contract.
 *
 * On POSIX systems it is a plain external function: code that declares its
 * own prototype, takes its address or #undefs it keeps working, and a program
 * that defines its own _heapmin gets its own, with the static and the shared
 * library alike.
 *
 * On Windows the C runtime already has a _heapmin, declared dllimport by
 * <malloc.h> (which <stdlib.h> includes). Declaring it again here would warn,
 * and a program linking the static heapmin would still call the CRT's. So
 * this header includes <malloc.h> first, then makes _heapmin a macro for
 * heapmin_compat_heapmin, heapmin's own function: in any include order,
 * _heapmin() calls heapmin. A file that #undefs _heapmin calls the CRT's.
 */
#if defined(_WIN32)
#include <malloc.h>
#undef _heapmin
#define _heapmin heapmin_compat_heapmin
#endif
HEAPMIN_API int _heapmin(void);

/*
 * Names what trims and how it was chosen, as "MECHANISM (HOW)": a string
 * that stays valid and unchanged for the life of the process.
 *
 * MECHANISM is the first word: "malloc_trim", "jemalloc", "tcmalloc",
 * "mimalloc", "scudo", "tbbmalloc", "mallopt" (Android's purge request),
 * "malloc_zone" (macOS's zones), "win32", "stub" (this build cannot trim:
 * ENOSYS) or "none" (malloc is served by an allocator heapmin does not
 * know: ENOSYS).
 * HOW is "detected" (the allocator that serves malloc was found at the
 * first call), "static binary" (malloc is linked into the program, so the
 * build's choice stands) or "built in" (chosen when heapmin was built).
 */
HEAPMIN_API const char *heapmin_backend(void);

/* The version of the library actually linked, as "MAJOR.MINOR.PATCH". */
HEAPMIN_API const char *heapmin_version(void);

/* A signed 64-bit count; C89 has no long long, so GCC is told it is meant. */
#if defined(_MSC_VER) && _MSC_VER < 1600
typedef __int64 heapmin_int64;
#elif defined(__GNUC__)
__extension__ typedef long long heapmin_int64;
#else
typedef long long heapmin_int64;
#endif

/* What a heapmin_trim() call came to. */
enum heapmin_outcome {
    /* The trim succeeded and resident size fell. */
    HEAPMIN_RELEASED = 1,
    /* The trim succeeded and resident size did not fall. */
    HEAPMIN_NOTHING_TO_RELEASE = 2,
    /* The trim succeeded; this system cannot tell resident size. */
    HEAPMIN_UNMEASURED = 3,
    /* This build or system cannot trim (error is ENOSYS). */
    HEAPMIN_UNSUPPORTED = 4,
    /* The trim failed (error says why). */
    HEAPMIN_FAILED = 5
};

/*
 * What heapmin_trim() fills in. Set size to sizeof(struct heapmin_report)
 * before the call: fields are only ever added at the end, and the library
 * fills only those that fit in size, so programs built against an older
 * header keep working with a newer library.
 */
struct heapmin_report {
    size_t size;                   /* set by the caller */
    const char *backend;           /* as heapmin_backend() */
    int outcome;                   /* an enum heapmin_outcome */
    int error;                     /* the errno value, or 0 on success */
    heapmin_int64 resident_before; /* bytes, or -1 where unknown */
    heapmin_int64 resident_after;  /* bytes, or -1 where unknown */
    heapmin_int64 released;        /* before - after, at least 0; -1 unknown */
    heapmin_int64 elapsed_ns;      /* time spent trimming */
    const char *detail;            /* a sentence: what trimmed, or why not */
};

/*
 * Trims as heapmin() does, with the same result and errno, and, when report
 * is not NULL, fills it: resident size is read before and after the trim
 * and the trim is timed. A report whose size is smaller than this first
 * layout (up to detail) gives -1 and EINVAL, and nothing is trimmed.
 */
HEAPMIN_API int heapmin_trim(struct heapmin_report *report);

/*
 * The resident size of this process in bytes (what the operating system
 * holds in memory for it), or -1 where this system cannot tell. Reads
 * without allocating.
 */
HEAPMIN_API heapmin_int64 heapmin_resident_bytes(void);

/*
 * Automatic trimming: one background thread, named "heapmin", that checks
 * cheaply and often and trims only when a trim is likely to pay, within a
 * CPU budget that no trigger can exceed (doc/automatic.md).
 * Every function returns 0, or -1 with errno set.
 */

/* heapmin_auto_config.flags */
#define HEAPMIN_AUTO_NO_PRESSURE 1u /* ignore memory-pressure notifications */

/*
 * Set size to sizeof(struct heapmin_auto_config) and leave a field 0 for
 * its default. Fields are only ever added at the end.
 */
struct heapmin_auto_config {
    size_t size;
    /* The longest time between two checks (default 1000 ms). A check reads
     * resident size (and the allocator's own count of free pages where that
     * is cheap): microseconds. While resident size moves, checks come every
     * 100 ms (or interval_ms, if shorter). */
    unsigned interval_ms;
    /* The share of one CPU that counting and trimming may take, over time,
     * in the trimmer's own CPU time (default 0.005, half a percent; at
     * most 1): a bucket that fills at this rate and holds 60 s of it, so
     * that a trim after each burst is paid, and any stretch of T seconds
     * costs at most cpu_budget x (T + 60) seconds of CPU. */
    double cpu_budget;
    /* A trim is worth it when it is expected to release at least this many
     * bytes (default 8 MiB); doubled after each trim that releases less
     * than half of it, up to 64 times, and reset by one that does. */
    heapmin_int64 min_release;
    unsigned flags; /* HEAPMIN_AUTO_* */
    /* Called on the trimmer thread after each trim, with its report. It
     * must not call heapmin_auto_stop(). */
    void (*on_trim)(const struct heapmin_report *report, void *arg);
    void *arg;
    /* Where the allocator's trim holds its lock throughout (glibc): a
     * growth trim predicted to take longer than this waits until the
     * program has been idle for 200 ms (default 250 ms; at most a day).
     * Requests and memory pressure never wait. */
    unsigned max_stall_ms;
};

/* Why the last automatic trim ran. */
enum heapmin_auto_reason {
    HEAPMIN_AUTO_NONE = 0,    /* no trim yet */
    HEAPMIN_AUTO_GROWTH = 1,  /* memory was expected to be free (above) */
    HEAPMIN_AUTO_REQUEST = 2, /* heapmin_auto_request() */
    HEAPMIN_AUTO_PRESSURE = 3 /* the system reported memory pressure */
};

/* Set size to sizeof(struct heapmin_auto_stats); fields grow at the end. */
struct heapmin_auto_stats {
    size_t size;
    int running;          /* 1 while this process has a trimmer */
    int last_reason;      /* an enum heapmin_auto_reason */
    heapmin_int64 checks; /* since heapmin_auto_start() */
    heapmin_int64 trims;
    heapmin_int64 released;      /* bytes, summed over the trims */
    heapmin_int64 trim_ns;       /* wall time spent trimming, summed */
    heapmin_int64 last_released; /* bytes, -1 where unknown */
    heapmin_int64 last_elapsed_ns;
    heapmin_int64 deferred; /* checks where the CPU budget put a trim off */
    heapmin_int64 count_ns; /* CPU time spent reading the allocator's count */
    unsigned interval_ms;   /* the configuration in force */
    double cpu_budget;
    heapmin_int64 min_release;
    /* The memory-pressure sources in use and those that are not, with why:
     * "psi /proc/pressure/memory; not: systemd (MEMORY_PRESSURE_WATCH unset)"
     */
    char pressure[256];
    /* Added in 0.4. */
    heapmin_int64 trim_cpu_ns;   /* the trimmer's CPU time in trims, summed */
    heapmin_int64 count_wall_ns; /* wall time spent counting, summed */
    heapmin_int64 credit_ns; /* CPU time left in the budget; below 0: shut */
    /* A trim now: what it is expected to release (bytes) and how long it
     * is predicted to take (wall ns); -1 where unknown. */
    heapmin_int64 next_release;
    heapmin_int64 next_predicted_ns;
    heapmin_int64 last_predicted_ns; /* the last trim's prediction, or -1 */
    heapmin_int64 quiet_waits; /* checks where a trim waited for quiet */
    unsigned max_stall_ms;     /* the configuration in force */
    int holds_lock;            /* 1: max_stall_ms applies (the allocator's
                                  trim holds its lock throughout) */
};

/*
 * Starts the trimmer with config (NULL: every default). Fails with ENOSYS
 * where this build or process cannot trim (the stub, an allocator heapmin
 * does not know), ENOTSUP where the build's allocator does not serve
 * malloc, EINVAL for a bad config, EALREADY when a trimmer is running, or
 * the error of creating the thread. Memory-pressure sources that are
 * unavailable are skipped (the stats name them), never an error. After
 * fork() the child has no trimmer and may start its own.
 */
HEAPMIN_API int heapmin_auto_start(const struct heapmin_auto_config *config);

/* Stops the trimmer and waits for its thread. ESRCH if none is running;
 * EDEADLK when called from the trimmer's own callback. */
HEAPMIN_API int heapmin_auto_stop(void);

/*
 * Asks for a trim soon (as soon as the CPU budget allows). Async-signal-safe:
 * a signal handler may call it. ESRCH if no trimmer is running.
 */
HEAPMIN_API int heapmin_auto_request(void);

/*
 * Nestable: while suspended more often than resumed, the trimmer does not
 * trim (around a latency-critical phase). Allowed whether or not a trimmer
 * runs. heapmin_auto_resume() without a suspend: EINVAL.
 */
HEAPMIN_API int heapmin_auto_suspend(void);
HEAPMIN_API int heapmin_auto_resume(void);

/* Fills stats (size set by the caller; too small: EINVAL). */
HEAPMIN_API int heapmin_auto_stats(struct heapmin_auto_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* HEAPMIN_H */
