/*
 * NetBSD's jemalloc backend (jemalloc-arenas.c: arenas purged one by one,
 * for a header without MALLCTL_ARENAS_ALL), built through builtin.c as
 * NetBSD builds it, against Debian's jemalloc linked into this program.
 *
 * Arenas 0 to 3 of 8 get fragmented heaps; 4 to 7 are never used, as
 * jemalloc makes arenas lazily (jemalloc 5.3 counts a ninth, for huge
 * blocks, made on demand too). After heapmin() every arena must have no
 * dirty or muzzy page left (jemalloc's own statistics, read here without
 * heapmin), and the backend's count of free bytes must agree with them,
 * before and after. Time-based release is off, so only the trim moves
 * these numbers: exact results.
 */
#include "heapmin.h"

#include <jemalloc/jemalloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "backend.h"

#define USED 4

/* Read by jemalloc at its start (Debian's jemalloc has no prefix). */
const char *malloc_conf = "narenas:8,dirty_decay_ms:-1,muzzy_decay_ms:-1";

/* Dirty plus muzzy pages of arena i, or -1 when it was never made. */
static long long free_pages(unsigned i)
{
    static const char *const kinds[] = {"pdirty", "pmuzzy"};
    long long pages = 0;
    char name[48];
    int k;

    for (k = 0; k < 2; k++) {
        size_t n, len = sizeof n;

        snprintf(name, sizeof name, "stats.arenas.%u.%s", i, kinds[k]);
        if (mallctl(name, &n, &len, NULL, 0) != 0)
            return -1;
        pages += (long long)n;
    }
    return pages;
}

static unsigned narenas;

static long long total_pages(int print)
{
    unsigned long long epoch = 1;
    size_t len = sizeof epoch;
    long long total = 0;
    unsigned i;

    mallctl("epoch", &epoch, &len, &epoch, len);
    for (i = 0; i < narenas; i++) {
        long long pages = free_pages(i);

        if (print)
            printf(" %lld", pages);
        if (pages > 0)
            total += pages;
    }
    if (print)
        printf("\n");
    return total;
}

/* Fills arena a with 2000 blocks of 16 B to 64 KiB, then frees 90 %. */
static void fragment(unsigned a, void **keep)
{
    static void *blocks[2000];
    unsigned long long seed = 88172645463325252ull + a;
    int i;

    CHECK(mallctl("thread.arena", NULL, NULL, &a, sizeof a) == 0);
    for (i = 0; i < 2000; i++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        blocks[i] = malloc(16 + seed % (64 << 10));
        if (blocks[i] == NULL)
            abort();
        memset(blocks[i], 1, 16);
    }
    for (i = 0; i < 2000; i++) {
        if (i % 10 == 0)
            keep[i / 10] = blocks[i];
        else
            free(blocks[i]);
    }
}

int main(void)
{
    static void *keep[USED][200];
    const struct heapmin__backend *b = heapmin__backend();
    long long before, after, page = sysconf(_SC_PAGESIZE);
    unsigned a, unused = 0;
    size_t len = sizeof narenas;
    int i;

    printf("backend %s: %s\n", heapmin_backend(), b->detail);
    CHECK(strcmp(heapmin_backend(), "jemalloc (built in)") == 0);
    CHECK(b->unable == 0 && b->free_bytes != NULL);
    CHECK(mallctl("arenas.narenas", &narenas, &len, NULL, 0) == 0);
    printf("arenas.narenas = %u\n", narenas);
    CHECK(narenas >= 8);
    for (a = 0; a < USED; a++)
        fragment(a, keep[a]);
    printf("dirty+muzzy pages per arena before heapmin():");
    before = total_pages(1);
    for (a = 0; a < USED; a++)
        CHECK(free_pages(a) > 0);
    for (a = USED; a < narenas; a++)
        unused += free_pages(a) == -1; /* never made */
    CHECK(unused >= 4);
    CHECK(b->free_bytes != NULL && b->free_bytes() == before * page);

    CHECK(heapmin() == 0);
    printf("dirty+muzzy pages per arena after heapmin(): ");
    after = total_pages(1);
    for (a = 0; a < narenas; a++)
        CHECK(free_pages(a) <= 0);
    CHECK(after == 0);
    CHECK(b->free_bytes != NULL && b->free_bytes() == 0);
    printf("released %lld pages of %d arenas, backend counts %lld bytes\n",
           before - after, USED,
           b->free_bytes != NULL ? (long long)b->free_bytes() : -1);

    for (a = 0; a < USED; a++)
        for (i = 0; i < 200; i++)
            free(keep[a][i]);
    return failures != 0;
}
