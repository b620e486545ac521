/*
 * Resident size on Windows: the working set, from GetProcessMemoryInfo,
 * for heapmin_trim() and heapmin_resident_bytes(). Under Wine the working
 * set is meaningful; PrivateUsage is not, so it is not used.
 */
#include <windows.h>
#include <psapi.h>

#include "../backend.h"

heapmin_int64 heapmin_resident_bytes(void)
{
    PROCESS_MEMORY_COUNTERS pmc;

    if (!GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc))
        return -1;
    return (heapmin_int64)pmc.WorkingSetSize;
}
