/*
 * Private to the Win32 backend and its tests.
 *
 * Every Windows call the backend makes goes through heapmin__win32_calls, a
 * table of function pointers (SQLite's os_win.c does the same), so a test
 * can replace one call and drive each path: the Windows 98 HeapCompact
 * failure, HeapSetInformation missing or refusing, 0 with NO_ERROR. Tests
 * link the static library and write to the table; the library only reads
 * it. It is not exported from the DLL.
 */
#ifndef HEAPMIN_WIN32_CALLS_H
#define HEAPMIN_WIN32_CALLS_H

#include <stdint.h>
#include <windows.h>

typedef BOOL(WINAPI *heapmin__heap_set_information_fn)(HANDLE,
                                                       HEAP_INFORMATION_CLASS,
                                                       PVOID, SIZE_T);

struct heapmin__win32_calls {
    /*
     * Finds HeapSetInformation in kernel32 at run time: the heapmin DLL
     * must still load where it is missing. Returns NULL when it is.
     */
    heapmin__heap_set_information_fn (*find_heap_set_information)(void);
    HANDLE(WINAPI *GetProcessHeap)(void);
    intptr_t(__cdecl *get_heap_handle)(void); /* the CRT's own heap */
    SIZE_T(WINAPI *HeapCompact)(HANDLE, DWORD);
    DWORD(WINAPI *GetLastError)(void);
    void(WINAPI *SetLastError)(DWORD);
};

extern struct heapmin__win32_calls heapmin__win32_calls;

/*
 * HeapSetInformation's class and argument for releasing the Low-
 * Fragmentation-Heap caches (Windows 8.1 and later). mingw-w64 10 defines
 * neither; the values are Windows' own.
 */
#define HEAPMIN__HEAP_OPTIMIZE_RESOURCES ((HEAP_INFORMATION_CLASS)3)
#define HEAPMIN__HEAP_OPTIMIZE_RESOURCES_VERSION 1
struct heapmin__heap_optimize_resources {
    DWORD Version;
    DWORD Flags;
};

/*
 * Maps a Win32 error to the errno value heapmin() reports, and records the
 * Win32 error in the CRT's _doserrno as the CRT's own functions do. The one
 * place where Win32 errors become errno values.
 */
int heapmin__win32_error(DWORD error);

#endif /* HEAPMIN_WIN32_CALLS_H */
