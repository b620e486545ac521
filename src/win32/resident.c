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

heapmin_int64 heapmin__cpu_ns(int this_thread)
{
    FILETIME created, exited, kernel, user;
    BOOL ok = this_thread ? GetThreadTimes(GetCurrentThread(), &created,
                                           &exited, &kernel, &user)
                          : GetProcessTimes(GetCurrentProcess(), &created,
                                            &exited, &kernel, &user);

    if (!ok)
        return -1;
    /* FILETIMEs count 100 ns. */
    return ((heapmin_int64)kernel.dwHighDateTime << 32 | kernel.dwLowDateTime) *
               100 +
           ((heapmin_int64)user.dwHighDateTime << 32 | user.dwLowDateTime) *
               100;
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
