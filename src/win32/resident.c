/*
 * Resident size (the working set, from GetProcessMemoryInfo) and a
 * monotonic clock on Windows, for heapmin_trim() and
 * heapmin_resident_bytes(). Under Wine the working set is meaningful;
 * PrivateUsage is not, so it is not used.
 */
#include <windows.h>
#include <psapi.h>

#include "../internal.h"

heapmin_int64 heapmin_resident_bytes(void)
{
    PROCESS_MEMORY_COUNTERS pmc;

    if (!GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc))
        return -1;
    return (heapmin_int64)pmc.WorkingSetSize;
}

heapmin_int64 heapmin__now_ns(void)
{
    LARGE_INTEGER now, freq;

    if (!QueryPerformanceCounter(&now) || !QueryPerformanceFrequency(&freq))
        return 0;
    /* Split to keep counter * 1e9 from overflowing. */
    return now.QuadPart / freq.QuadPart * 1000000000 +
           now.QuadPart % freq.QuadPart * 1000000000 / freq.QuadPart;
}
