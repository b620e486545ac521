/*
 * gperftools' tcmalloc: MallocExtension_ReleaseFreeMemory() returns every
 * free span of its page heap to the system. Objects cached per thread and
 * in the central free lists stay.
 */
#include <string.h>

#include "internal.h"

static int trim(void *entry)
{
    void (*release)(void);

    memcpy(&release, &entry, sizeof release);
    release();
    return 0;
}

const struct heapmin__mechanism heapmin__tcmalloc = {
    "tcmalloc", "MallocExtension_ReleaseFreeMemory",
    "MallocExtension_ReleaseFreeMemory", 0, trim};
