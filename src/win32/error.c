/*
 * Win32 errors to errno values, in one switch (libuv's src/win/error.c is
 * the model). The documented case is ERROR_CALL_NOT_IMPLEMENTED: HeapCompact
 * on Windows 95/98/Me, for which Microsoft documents _heapmin's ENOSYS.
 */
#include <errno.h>
#include <stdlib.h>

#include "calls.h"

int heapmin__win32_error(DWORD error)
{
    _doserrno = error;
    switch (error) {
    case ERROR_CALL_NOT_IMPLEMENTED:
        return ENOSYS;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_COMMITMENT_LIMIT:
        return ENOMEM;
    case ERROR_ACCESS_DENIED:
        return EACCES;
    case ERROR_INVALID_HANDLE:
        return EBADF;
    case ERROR_NOACCESS:
        return EFAULT;
    default:
        /* As the CRT's own mapping does for codes it does not know. */
        return EINVAL;
    }
}
