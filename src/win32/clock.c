/*
 * Clocks on Windows: the process's or the thread's CPU time (the trimmer
 * asks whether the program is quiet) and a monotonic clock (for timing a
 * trim).
 */
#include <windows.h>

#include "../backend.h"

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
