/*
 * Resident size on FreeBSD, NetBSD and OpenBSD: the process's own entry in
 * the kernel's process table, read with sysctl into a structure on the
 * stack (measuring allocates nothing). The three differ in the request and
 * the field; each counts resident pages.
 *
 * Untested here: compiled and run only in the workflow's BSD virtual
 * machines (SUPPORTED_PLATFORMS.md), which have not run yet.
 */
#if defined(__FreeBSD__)
#define __BSD_VISIBLE 1
#endif
#include <sys/param.h>
#include <sys/types.h>
#include <sys/sysctl.h>
#if defined(__FreeBSD__)
#include <sys/user.h>
#endif
#include <unistd.h>

#include "../backend.h"

heapmin_int64 heapmin_resident_bytes(void)
{
#if defined(__FreeBSD__)
    struct kinfo_proc kp;
    int mib[] = {CTL_KERN, KERN_PROC, KERN_PROC_PID, (int)getpid()};
#define RESIDENT_PAGES(kp) ((kp).ki_rssize)
#elif defined(__NetBSD__)
    struct kinfo_proc2 kp;
    int mib[] = {CTL_KERN,      KERN_PROC2,     KERN_PROC_PID,
                 (int)getpid(), (int)sizeof kp, 1};
#define RESIDENT_PAGES(kp) ((kp).p_vm_rssize)
#elif defined(__OpenBSD__)
    struct kinfo_proc kp;
    int mib[] = {CTL_KERN,      KERN_PROC,      KERN_PROC_PID,
                 (int)getpid(), (int)sizeof kp, 1};
#define RESIDENT_PAGES(kp) ((kp).p_vm_rssize)
#else
#error "resident-bsd.c is for FreeBSD, NetBSD and OpenBSD (meson picks it)"
#endif
    size_t len = sizeof kp;

    if (sysctl(mib, sizeof mib / sizeof mib[0], &kp, &len, NULL, 0) != 0 ||
        len < sizeof kp)
        return -1;
    return (heapmin_int64)RESIDENT_PAGES(kp) * getpagesize();
}
