/*
 * Shared by heapmin-demo, heapmin-bench and the tests: fragment the heap the
 * way a long-running program does, read resident size, and compute the
 * page-level limit: every page a live object touches, the least a
 * non-moving allocator can keep. Nothing here calls malloc except
 * frag_fill, so measuring does not disturb what is measured.
 *
 * frag_resident reads resident size its own way (Linux: VmRSS in
 * /proc/self/status), not through heapmin, so tests can check heapmin's
 * report against it.
 */
#ifndef HEAPMIN_TESTS_FRAG_H
#define HEAPMIN_TESTS_FRAG_H

#include <stddef.h>

struct frag_block {
    char *p;
    size_t n;
};

struct frag {
    struct frag_block *blocks; /* mmapped, not from the heap under test */
    size_t cap;                /* entries mapped */
    size_t count;              /* blocks allocated by frag_fill */
    size_t live;               /* blocks still allocated, at the front */
    size_t live_bytes;
    size_t map_bytes;
};

/*
 * Allocates about total bytes in blocks of min..max bytes (uniform random
 * from seed), each written so its pages are resident. Returns 0, or -1 when
 * memory runs out.
 */
int frag_fill(struct frag *f, size_t total, size_t min, size_t max,
              unsigned long long seed);

/*
 * Frees all but a random keep share (0..1) of the blocks; the kept ones end
 * up in blocks[0..live).
 */
void frag_evict(struct frag *f, double keep, unsigned long long seed);

/* Frees the kept blocks and unmaps the bookkeeping. */
void frag_release(struct frag *f);

/*
 * The next number from a xorshift64* generator (state must start nonzero):
 * the same sequence with every C library, unlike rand().
 */
unsigned long long frag_random(unsigned long long *state);

/*
 * Where timed malloc/free pairs store their pointer: a pair whose memory
 * never escapes may be removed by the compiler altogether (GCC does, at
 * -O2), and then nothing is timed.
 */
extern void *volatile frag_sink;

/* Resident bytes of this process, or -1 where this system cannot tell. */
long long frag_resident(void);

/*
 * Resident bytes a perfect non-moving allocator would keep: baseline (the
 * resident size before frag_fill), plus this helper's bookkeeping, plus every
 * distinct page that holds a byte of a kept block. Sorts f->blocks.
 */
long long frag_page_limit(struct frag *f, long long baseline);

#endif
