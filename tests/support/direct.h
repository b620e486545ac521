/*
 * The allocator's own strongest "give memory back" call, found without
 * heapmin: the bench's reference, and the tests' own answer to which
 * allocator serves malloc. The live allocator is the shared object that
 * global lookup finds malloc in (doc/allocators.md).
 */
#ifndef HEAPMIN_TESTS_DIRECT_H
#define HEAPMIN_TESTS_DIRECT_H

/*
 * Names the allocator that serves malloc: "glibc", "jemalloc", "tcmalloc",
 * "mimalloc", "scudo", "tbbmalloc", or the object's file name. Never NULL.
 * A PIE program's view: in a non-PIE one that takes malloc's address it
 * names the program (heapmin's own detection sees past that).
 */
const char *direct_allocator(void);

/*
 * Calls that allocator's own call: malloc_trim(0), a jemalloc purge of
 * every arena (after flushing this thread's cache),
 * MallocExtension_ReleaseFreeMemory(), mi_collect(true), scudo's
 * mallopt(M_PURGE_ALL or M_PURGE) or tbbmalloc's CLEAN_ALL_BUFFERS. Returns 0,
 * or -1 if the allocator has no such call.
 */
int direct_trim(void);

#endif
