/*
 * mimalloc: mi_collect(true) frees the empty pages of the calling thread's
 * heap and returns what it can of them. It acts on the calling thread only,
 * and a page that still holds one live block stays whole, so on a
 * fragmented heap it releases next to nothing (doc/allocators.md, "mimalloc").
 */
#include <stdbool.h>
#include <string.h>

#include "mechanism.h"

static int trim(void *entry)
{
    void (*collect)(bool);

    memcpy(&collect, &entry, sizeof collect);
    collect(true);
    return 0;
}

const struct heapmin__mechanism heapmin__mimalloc = {
    .name = "mimalloc",
    .probe = "mi_collect",
    .entry = "mi_collect",
    .trim = trim,
};
