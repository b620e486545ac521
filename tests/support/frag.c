/*
 * See frag.h. Resident size comes from VmRSS in /proc/self/status on Linux
 * and from GetProcessMemoryInfo on Windows; elsewhere frag_resident returns
 * -1.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS under -std=c99 */
#include "frag.h"

#include "heapmin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#include <windows.h>
#include <psapi.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

/* Bookkeeping comes straight from the OS, so it never lands in the heap. */
static void *map_pages(size_t bytes)
{
#if defined(_WIN32)
    return VirtualAlloc(NULL, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
#else
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
#endif
}

static void unmap_pages(void *p, size_t bytes)
{
#if defined(_WIN32)
    (void)bytes;
    VirtualFree(p, 0, MEM_RELEASE);
#else
    munmap(p, bytes);
#endif
}

static uintptr_t page_size(void)
{
#if defined(_WIN32)
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwPageSize;
#else
    return (uintptr_t)sysconf(_SC_PAGESIZE);
#endif
}

void *volatile frag_sink;

unsigned long long frag_random(unsigned long long *state)
{
    /* xorshift64*: reproducible across C libraries, unlike rand(). */
    unsigned long long x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 2685821657736338717ULL;
}

int frag_fill(struct frag *f, size_t total, size_t min, size_t max,
              unsigned long long seed)
{
    unsigned long long rng = seed ? seed : 1;
    size_t used = 0;

    memset(f, 0, sizeof *f);
    f->cap = total / min + 1;
    f->map_bytes = f->cap * sizeof *f->blocks;
    f->blocks = map_pages(f->map_bytes);
    if (f->blocks == NULL)
        return -1;
    while (used < total && f->count < f->cap) {
        size_t n = min + (size_t)(frag_random(&rng) % (max - min + 1));
        char *p = malloc(n);
        if (p == NULL)
            return -1;
        memset(p, (int)(f->count & 0xff), n);
        f->blocks[f->count].p = p;
        f->blocks[f->count].n = n;
        f->count++;
        f->live_bytes += n;
        used += n;
    }
    f->live = f->count;
    return 0;
}

void frag_evict(struct frag *f, double keep, unsigned long long seed)
{
    unsigned long long rng = seed ? seed : 1;
    size_t i, kept = 0;

    for (i = 0; i < f->live; i++) {
        double r = (double)(frag_random(&rng) >> 11) / 9007199254740992.0;
        if (r < keep) {
            f->blocks[kept++] = f->blocks[i];
        } else {
            f->live_bytes -= f->blocks[i].n;
            free(f->blocks[i].p);
        }
    }
    f->live = kept;
}

void frag_release(struct frag *f)
{
    size_t i;

    for (i = 0; i < f->live; i++)
        free(f->blocks[i].p);
    if (f->blocks != NULL)
        unmap_pages(f->blocks, f->map_bytes);
    memset(f, 0, sizeof *f);
}

long long frag_resident(void)
{
#if defined(_WIN32)
    PROCESS_MEMORY_COUNTERS pmc;

    if (!GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc))
        return -1;
    return (long long)pmc.WorkingSetSize;
#elif defined(__linux__)
    char buf[4096];
    const char *s;
    long long kib = 0;
    ssize_t len;
    int fd = open("/proc/self/status", O_RDONLY);

    if (fd < 0)
        return -1;
    len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0)
        return -1;
    buf[len] = '\0';
    s = strstr(buf, "\nVmRSS:");
    if (s == NULL)
        return -1;
    for (s += 7; *s == ' ' || *s == '\t'; s++)
        ;
    for (; *s >= '0' && *s <= '9'; s++)
        kib = kib * 10 + (*s - '0');
    return kib * 1024;
#else
    /*
     * macOS and the BSDs: heapmin's own reading (its footprint on macOS),
     * so there this is not an independent measure.
     */
    return heapmin_resident_bytes();
#endif
}

static void sift_down(struct frag_block *a, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        struct frag_block t;

        if (child >= n)
            return;
        if (child + 1 < n && a[child + 1].p > a[child].p)
            child++;
        if (a[root].p >= a[child].p)
            return;
        t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

/* Heapsort by address: qsort may call malloc, which would move the heap. */
static void sort_by_address(struct frag_block *a, size_t n)
{
    size_t i;

    for (i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (i = n; i-- > 1;) {
        struct frag_block t = a[0];
        a[0] = a[i];
        a[i] = t;
        sift_down(a, 0, i);
    }
}

long long frag_page_limit(struct frag *f, long long baseline)
{
    uintptr_t page = page_size();
    uintptr_t last = 0; /* last page counted, valid once pages > 0 */
    long long pages = 0;
    size_t i;

    if (baseline < 0)
        return -1;
    /* Blocks do not overlap, so in address order their ends are ordered too. */
    sort_by_address(f->blocks, f->live);
    for (i = 0; i < f->live; i++) {
        uintptr_t first = (uintptr_t)f->blocks[i].p / page;
        uintptr_t end = ((uintptr_t)f->blocks[i].p + f->blocks[i].n - 1) / page;

        if (pages > 0 && first <= last)
            first = last + 1;
        if (end >= first) {
            pages += (long long)(end - first + 1);
            last = end;
        }
    }
    /* The bookkeeping array is resident up to the blocks it recorded. */
    return baseline + pages * (long long)page +
           (long long)((f->count * sizeof *f->blocks + page - 1) / page * page);
}
