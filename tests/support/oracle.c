/* See oracle.h. Every entry point is found by global lookup, not through
 * heapmin. */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include "oracle.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);

/*
 * Copies the address of name into *fn (a function pointer of size bytes):
 * POSIX lets a function pointer travel as void *. Returns whether found.
 */
static int lookup(const char *name, void *fn, size_t size)
{
    void *p = dlsym(RTLD_DEFAULT, name);

    memcpy(fn, &p, size);
    return p != NULL;
}

static long long resident(void)
{
    char buf[128];
    long size, pages = -1;
    int fd = open("/proc/self/statm", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;

    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (sscanf(buf, "%ld %ld", &size, &pages) != 2)
        return -1;
    return (long long)pages * sysconf(_SC_PAGESIZE);
}

static long long jemalloc_unpurged(void)
{
    mallctl_fn mallctl;
    unsigned long long epoch = 1;
    size_t dirty = 0, muzzy = 0, len = sizeof epoch;

    /* The statistics are a snapshot taken at each epoch. */
    if (!lookup("mallctl", &mallctl, sizeof mallctl) ||
        mallctl("epoch", &epoch, &len, &epoch, len) != 0)
        return -1;
    len = sizeof dirty;
    if (mallctl("stats.arenas.4096.pdirty", &dirty, &len, NULL, 0) != 0 ||
        mallctl("stats.arenas.4096.pmuzzy", &muzzy, &len, NULL, 0) != 0)
        return -1;
    return (long long)(dirty + muzzy) * sysconf(_SC_PAGESIZE);
}

static long long tcmalloc_free(void)
{
    int (*get)(const char *, size_t *);
    size_t v = 0;

    if (!lookup("MallocExtension_GetNumericProperty", &get, sizeof get) ||
        !get("tcmalloc.pageheap_free_bytes", &v))
        return -1;
    return (long long)v;
}

static long long mimalloc_committed(void)
{
    void (*info)(size_t *, size_t *, size_t *, size_t *, size_t *, size_t *,
                 size_t *, size_t *);
    size_t elapsed, user, sys, rss, peak_rss, commit = 0, peak_commit, faults;

    if (!lookup("mi_process_info", &info, sizeof info))
        return -1;
    info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit,
         &faults);
    return (long long)commit;
}

/*
 * scudo prints its statistics on standard error only: they go to a
 * temporary file for the time of the call, and every "releases:" count is
 * added up.
 */
static long long scudo_releases(void)
{
    static char text[1 << 16];
    void (*print)(void);
    int saved, fd;
    ssize_t n;
    long long total = 0;
    char *p;

    if (!lookup("__scudo_print_stats", &print, sizeof print))
        return -1;
    fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
    if (fd < 0)
        return -1;
    fflush(stderr);
    saved = dup(2);
    dup2(fd, 2);
    print();
    dup2(saved, 2);
    close(saved);
    n = pread(fd, text, sizeof text - 1, 0);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    for (p = strstr(text, "releases:"); p != NULL;
         p = strstr(p + 1, "releases:"))
        total += strtoll(p + strlen("releases:"), NULL, 10);
    return total;
}

/* TBBMALLOC_CLEAN_ALL_BUFFERS: 0 (OK) cleaned something, 4 nothing. */
static long long tbbmalloc_clean(void)
{
    int (*command)(int, void *);

    if (!lookup("scalable_allocation_command", &command, sizeof command))
        return -1;
    return command(0, NULL);
}

int oracle_start(struct oracle *o, const char *allocator)
{
    o->allocator = allocator;
    if (strcmp(allocator, "glibc") == 0)
        o->before = resident();
    else if (strcmp(allocator, "jemalloc") == 0)
        o->before = jemalloc_unpurged();
    else if (strcmp(allocator, "tcmalloc") == 0)
        o->before = tcmalloc_free();
    else if (strcmp(allocator, "mimalloc") == 0)
        o->before = mimalloc_committed();
    else if (strcmp(allocator, "scudo") == 0)
        o->before = scudo_releases();
    else if (strcmp(allocator, "tbbmalloc") == 0)
        /* Reading is cleaning: only the end is read. */
        o->before =
            dlsym(RTLD_DEFAULT, "scalable_allocation_command") != NULL ? 0 : -1;
    else
        o->before = -1;
    return o->before >= 0 ? 0 : -1;
}

static int judge(const char *what, long long before, long long after, int yes)
{
    printf("oracle: %s %lld -> %lld\n", what, before, after);
    return after < 0 ? -1 : yes;
}

int oracle_trimmed(struct oracle *o)
{
    const char *a = o->allocator;
    long long b = o->before;

    if (b < 0)
        return -1;
    if (strcmp(a, "glibc") == 0) {
        long long after = resident();
        return judge("resident bytes", b, after, after <= b - b / 4);
    }
    if (strcmp(a, "jemalloc") == 0) {
        long long after = jemalloc_unpurged();
        return judge("dirty+muzzy bytes", b, after,
                     b >= (1 << 20) && after <= b / 10);
    }
    if (strcmp(a, "tcmalloc") == 0) {
        long long after = tcmalloc_free();
        return judge("pageheap_free_bytes", b, after,
                     b >= (1 << 20) && after <= b / 10);
    }
    if (strcmp(a, "mimalloc") == 0) {
        long long after = mimalloc_committed();
        return judge("committed bytes", b, after, after <= b - (1 << 20));
    }
    if (strcmp(a, "scudo") == 0) {
        long long after = scudo_releases();
        return judge("releases", b, after, after > b);
    }
    if (strcmp(a, "tbbmalloc") == 0) {
        long long after = tbbmalloc_clean();
        return judge("CLEAN_ALL_BUFFERS result (4: nothing left)", b, after,
                     after == 4);
    }
    return -1;
}
