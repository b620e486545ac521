/*
 * gperftools' tcmalloc: MallocExtension_ReleaseFreeMemory() returns every
 * free span of its page heap to the system. Objects cached per thread and
 * in the central free lists stay.
 */
#include <stddef.h>
#include <string.h>

#include "mechanism.h"

static int trim(void *entry)
{
    void (*release)(void);

    memcpy(&release, &entry, sizeof release);
    release();
    return 0;
}

/* Free spans of the page heap that are still mapped: what a release frees. */
static heapmin_int64 free_bytes(void *account)
{
    int (*get)(const char *, size_t *);
    size_t bytes = 0;

    memcpy(&get, &account, sizeof get);
    if (!get("tcmalloc.pageheap_free_bytes", &bytes))
        return -1;
    return (heapmin_int64)bytes;
}

const struct heapmin__mechanism heapmin__tcmalloc = {
    .name = "tcmalloc",
    .probe = "MallocExtension_ReleaseFreeMemory",
    .entry = "MallocExtension_ReleaseFreeMemory",
    .trim = trim,
    .account = "MallocExtension_GetNumericProperty",
    .free_bytes = free_bytes,
};
