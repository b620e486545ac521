/*
 * Resident size and a monotonic clock on POSIX systems, for heapmin_trim()
 * and heapmin_resident_bytes(). Linux reads /proc/self/statm with open and
 * read, so measuring allocates nothing. macOS (task_info) and FreeBSD
 * (sysctl) are compiled in behind their guards but cannot be built or run
 * on our machines; elsewhere resident size is -1.
 */
#define _POSIX_C_SOURCE 200809L
#if defined(__FreeBSD__)
#define __BSD_VISIBLE 1
#endif

#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <fcntl.h>
#elif defined(__APPLE__)
#include <mach/mach.h>
#elif defined(__FreeBSD__)
#include <sys/types.h>
#include <sys/sysctl.h>
#include <sys/user.h>
#endif

#include "../internal.h"

heapmin_int64 heapmin_resident_bytes(void)
{
#if defined(__linux__)
    char buf[128];
    const char *s;
    heapmin_int64 pages = 0;
    ssize_t len;
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0)
        return -1;
    buf[len] = '\0';
    /* "size resident shared text lib data dt", in pages. */
    for (s = buf; *s != ' '; s++)
        if (*s == '\0')
            return -1;
    for (s++; *s >= '0' && *s <= '9'; s++)
        pages = pages * 10 + (*s - '0');
    return pages * (heapmin_int64)sysconf(_SC_PAGESIZE);
#elif defined(__APPLE__)
    mach_task_basic_info_data_t info;
    mach_msg_type_number_t count = MACH_TASK_BASIC_INFO_COUNT;

    if (task_info(mach_task_self(), MACH_TASK_BASIC_INFO, (task_info_t)&info,
                  &count) != KERN_SUCCESS)
        return -1;
    return (heapmin_int64)info.resident_size;
#elif defined(__FreeBSD__)
    struct kinfo_proc kp;
    size_t len = sizeof kp;
    int mib[4] = {CTL_KERN, KERN_PROC, KERN_PROC_PID, (int)getpid()};

    if (sysctl(mib, 4, &kp, &len, NULL, 0) != 0)
        return -1;
    return (heapmin_int64)kp.ki_rssize * getpagesize();
#else
    return -1;
#endif
}

heapmin_int64 heapmin__cpu_ns(int this_thread)
{
    struct timespec ts;

    if (clock_gettime(this_thread ? CLOCK_THREAD_CPUTIME_ID
                                  : CLOCK_PROCESS_CPUTIME_ID,
                      &ts) != 0)
        return -1;
    return (heapmin_int64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

heapmin_int64 heapmin__now_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (heapmin_int64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
