/*
 * A program that uses heapmin the plain way, built twice: as a PIE and as a
 * non-PIE executable that takes malloc's address (as Debian's own
 * /usr/bin/python3 does). preload.py runs it under each allocator.
 *
 * Usage: client ALLOCATOR heapmin|none|malloc_trim
 *
 * It fragments a 64 MiB heap, then does what MODE says (heapmin(); nothing;
 * or what most programs do today, glibc's malloc_trim(0)) and asks the
 * allocator's own accounting whether memory was given back (oracle.h).
 * Prints one line of key=value for preload.py, which judges it.
 */
#define _GNU_SOURCE /* dladdr, malloc_trim */
#include "heapmin.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frag.h"
#include "oracle.h"

/*
 * Code that takes malloc's address in a non-PIE executable gives malloc a
 * canonical address in the executable itself, a PLT stub: what heapmin must
 * see past. (A static initializer would not: that is a data relocation.)
 */
void *(*volatile taken_malloc)(size_t);

int main(int argc, char **argv)
{
    struct frag f;
    struct oracle o;
    Dl_info info;
    const char *where = "?";
    int rc = 0, trimmed;

    taken_malloc = malloc;
    if (argc != 3) {
        fprintf(stderr, "usage: client ALLOCATOR heapmin|none|malloc_trim\n");
        return 2;
    }
    if (dladdr(dlsym(RTLD_DEFAULT, "malloc"), &info) != 0 &&
        info.dli_fname != NULL)
        where = info.dli_fname;
    /* mimalloc's call releases only emptied pages: empty them all. */
    if (frag_fill(&f, (size_t)64 << 20, 16, 4112, 42) != 0)
        return 99;
    frag_evict(&f, strcmp(argv[1], "mimalloc") == 0 ? 0.0 : 0.10, 43);
    if (oracle_start(&o, argv[1]) != 0) {
        fprintf(stderr, "no accounting of %s in this process\n", argv[1]);
        return 99;
    }
    if (strcmp(argv[2], "heapmin") == 0)
        rc = heapmin();
    else if (strcmp(argv[2], "malloc_trim") == 0)
        malloc_trim(0);
    trimmed = oracle_trimmed(&o);
    printf("backend=%s|rc=%d|trimmed=%d|canonical_malloc=%s\n",
           heapmin_backend(), rc, trimmed, where);
    frag_release(&f);
    return 0;
}
