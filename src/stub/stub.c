/*
 * Backend for systems with no way to trim (musl, legacy targets): picked by
 * trim_backend=auto when the C library has no malloc_trim, or explicitly with
 * trim_backend=stub. heapmin() fails with ENOSYS, as Microsoft documents for
 * Windows 98, so callers can tell "cannot" from "nothing to release".
 */
#include <errno.h>
#include <stddef.h>

#include "../backend.h"

const struct heapmin__backend *heapmin__backend(void)
{
    static const struct heapmin__backend backend = {
        "stub (built in)", "this build has no way to trim (trim_backend=stub)",
        NULL, ENOSYS, NULL, 0, NULL};
    return &backend;
}
