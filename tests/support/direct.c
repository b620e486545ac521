/* See direct.h. Needs dladdr and dlopen(RTLD_NOLOAD): glibc or musl. */
#define _GNU_SOURCE
#include "direct.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The allocator inside the C library: FreeBSD's and NetBSD's is jemalloc. */
#if defined(__FreeBSD__) || defined(__NetBSD__)
#define LIBC_ALLOCATOR "jemalloc"
#else
#define LIBC_ALLOCATOR "glibc"
#endif

static Dl_info live;
static void *live_handle;

static int find_live(void)
{
    void *fn;

    if (live_handle != NULL)
        return 0;
    fn = dlsym(RTLD_DEFAULT, "malloc");
    if (fn == NULL || dladdr(fn, &live) == 0 || live.dli_fname == NULL)
        return -1;
    live_handle = dlopen(live.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    return live_handle != NULL ? 0 : -1;
}

/*
 * A symbol of the live allocator's own object: dlsym on a handle also
 * searches the object's dependencies (libjemalloc's handle finds glibc's
 * malloc_trim), so the hit is checked to lie in the same object.
 */
static void *own_symbol(const char *name)
{
    Dl_info where;
    void *sym;

    if (find_live() != 0)
        return NULL;
    sym = dlsym(live_handle, name);
    if (sym == NULL || dladdr(sym, &where) == 0 ||
        where.dli_fbase != live.dli_fbase)
        return NULL;
    return sym;
}

const char *direct_allocator(void)
{
    const char *name;

    if (find_live() != 0)
        return "unknown";
    name = strrchr(live.dli_fname, '/');
    name = name != NULL ? name + 1 : live.dli_fname;
    if (strncmp(name, "libc.so", 7) == 0)
        return LIBC_ALLOCATOR;
    if (strstr(name, "jemalloc") != NULL)
        return "jemalloc";
    if (strstr(name, "tcmalloc") != NULL)
        return "tcmalloc";
    if (strstr(name, "mimalloc") != NULL)
        return "mimalloc";
    if (strstr(name, "scudo") != NULL)
        return "scudo";
    if (strstr(name, "tbbmalloc") != NULL)
        return "tbbmalloc";
    return name;
}

int direct_trim(void)
{
    const char *allocator = direct_allocator();
    void *sym;

    /* Function pointers come from dlsym as void *: POSIX allows the copy. */
    if (strcmp(allocator, "glibc") == 0 &&
        (sym = own_symbol("malloc_trim")) != NULL) {
        int (*malloc_trim)(size_t);
        memcpy(&malloc_trim, &sym, sizeof sym);
        malloc_trim(0);
        return 0;
    }
    if (strcmp(allocator, "jemalloc") == 0 &&
        (sym = own_symbol("mallctl")) != NULL) {
        int (*mallctl)(const char *, void *, size_t *, void *, size_t);
        memcpy(&mallctl, &sym, sizeof sym);
        (void)mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
        return mallctl("arena.4096.purge", NULL, NULL, NULL, 0) == 0 ? 0 : -1;
    }
    if (strcmp(allocator, "tcmalloc") == 0 &&
        (sym = own_symbol("MallocExtension_ReleaseFreeMemory")) != NULL) {
        void (*release)(void);
        memcpy(&release, &sym, sizeof sym);
        release();
        return 0;
    }
    if (strcmp(allocator, "mimalloc") == 0 &&
        (sym = own_symbol("mi_collect")) != NULL) {
        void (*collect)(bool);
        memcpy(&collect, &sym, sizeof sym);
        collect(true);
        return 0;
    }
    if (strcmp(allocator, "scudo") == 0 &&
        (sym = own_symbol("mallopt")) != NULL) {
        int (*mallopt)(int, int);
        memcpy(&mallopt, &sym, sizeof sym);
        /* M_PURGE_ALL where scudo knows it, else M_PURGE. */
        return mallopt(-104, 0) == 1 || mallopt(-101, 0) == 1 ? 0 : -1;
    }
    /* The proxy serves malloc; its call is in libtbbmalloc, which it needs. */
    if (strcmp(allocator, "tbbmalloc") == 0 &&
        (sym = dlsym(live_handle, "scalable_allocation_command")) != NULL) {
        int (*command)(int, void *);
        memcpy(&command, &sym, sizeof sym);
        /* TBBMALLOC_CLEAN_ALL_BUFFERS: 0 cleaned, 4 nothing to clean. */
        int rc = command(0, NULL);
        return rc == 0 || rc == 4 ? 0 : -1;
    }
    return -1;
}
