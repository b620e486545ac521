/*
 * Was the allocator that serves malloc trimmed? Its own accounting says,
 * read without heapmin, so the preload test judges heapmin by exact counts
 * rather than by noisy shares of resident size (TESTING.md):
 *
 *   glibc      resident size (no cheap account of freed pages): trimmed when
 *              it fell by a quarter; a single-threaded process, so exact
 *   jemalloc   dirty and muzzy pages of every arena (after "epoch")
 *   tcmalloc   tcmalloc.pageheap_free_bytes
 *   mimalloc   committed bytes (mi_process_info): needs emptied pages, as
 *              mi_collect releases nothing else
 *   scudo      the "releases" counters of __scudo_print_stats
 *   tbbmalloc  a second TBBMALLOC_CLEAN_ALL_BUFFERS answers NO_EFFECT
 *
 * The caller turns the allocators' own time-based release off (preload.py
 * sets their options), so that only a trim moves these numbers.
 */
#ifndef HEAPMIN_TESTS_ORACLE_H
#define HEAPMIN_TESTS_ORACLE_H

struct oracle {
    const char *allocator; /* "glibc", "jemalloc", ... */
    long long before;
};

/*
 * Reads the allocator's account now. Returns 0, or -1 when the allocator is
 * unknown or its accounting cannot be found in this process.
 */
int oracle_start(struct oracle *o, const char *allocator);

/*
 * 1 when the allocator says it gave memory back since oracle_start, 0 when
 * it says it did not, -1 when it cannot be read. Prints what it read.
 */
int oracle_trimmed(struct oracle *o);

#endif
