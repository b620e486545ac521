/*
 * How the agent's log and the heapmin command write a trim, in one place,
 * after HotSpot's "before->after (-delta) in ms":
 *   "301.2 MiB -> 52.1 MiB (-249.1 MiB) in 120.3 ms, malloc_trim (detected)"
 */
#ifndef HEAPMIN_CONTROL_TEXT_H
#define HEAPMIN_CONTROL_TEXT_H

#include <stddef.h>

#include "heapmin.h"

/* "52.1 MiB" (KiB, MiB, GiB), or "?" for a negative, unknown, count. */
void heapmin__text_size(char *out, size_t size, heapmin_int64 bytes);

void heapmin__text_trim(char *out, size_t size, heapmin_int64 before,
                        heapmin_int64 after, heapmin_int64 released,
                        heapmin_int64 elapsed_ns, const char *backend);

#endif
