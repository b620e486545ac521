/*
 * The real Win32 calls behind the backend's seam (see calls.h). Tests
 * replace entries; nothing else does.
 */
#include <malloc.h>

#include "calls.h"

static heapmin__heap_set_information_fn find_heap_set_information(void)
{
    /*
     * Looked up on every call: it costs far less than the trim itself, and
     * needs no once-only initialisation that older Windows may lack.
     */
    HMODULE kernel32 = GetModuleHandleW(L"kernel32.dll");
    FARPROC fn;

    if (kernel32 == NULL)
        return NULL;
    fn = GetProcAddress(kernel32, "HeapSetInformation");
    /* FARPROC is a generic function pointer; go through void (*)(void). */
    return (heapmin__heap_set_information_fn)(void (*)(void))fn;
}

struct heapmin__win32_calls heapmin__win32_calls = {
    find_heap_set_information,
    GetProcessHeap,
    _get_heap_handle,
    HeapCompact,
    GetLastError,
    SetLastError,
};
