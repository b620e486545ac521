/*
 * Calls that go wrong when the process has a thread it does not know of,
 * so the agent's thread gets out of the way for them:
 *  - unshare() and setns() into a user or mount namespace: the kernel
 *    refuses them with EINVAL when any other thread exists (unshare
 *    --user, nsenter --mount, sandboxes and container tools call them);
 *  - the set*id() family and setgroups(): glibc applies them to every
 *    thread and aborts the program if one thread's call fails where the
 *    caller's did not, as it does for heapmin's thread when the program
 *    has changed its own thread's capabilities first (setpriv does).
 * The agent defines each, so that the program's calls come here first
 * (LD_PRELOAD puts it before the C library): the agent's thread is
 * stopped, the C library's function is called, and it starts again.
 *
 * clone() with namespace flags needs nothing: the kernel allows it beside
 * other threads, and the child has one thread, none of the agent's. A
 * raw syscall() and the C library's own calls (initgroups() calling
 * setgroups()) are not covered.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

/* The C library's function of that name (ISO C has no cast from the
 * object pointer dlsym returns to a function pointer: copied). */
static void *next(const char *name, void *fn, size_t size)
{
    void *p = dlsym(RTLD_NEXT, name);

    if (p != NULL)
        memcpy(fn, &p, size);
    return p;
}

/* Defines NAME(PARAMS) as the C library's NAME(ARGS) with the agent
 * paused around it. */
#define ALONE(name, params, args)                                              \
    __attribute__((visibility("default"))) int name params                     \
    {                                                                          \
        static int(*real) params;                                              \
        int ret, err;                                                          \
                                                                               \
        if (real == NULL && next(#name, &real, sizeof real) == NULL) {         \
            errno = ENOSYS;                                                    \
            return -1;                                                         \
        }                                                                      \
        heapmin__agent_pause();                                                \
        ret = real args;                                                       \
        err = errno;                                                           \
        heapmin__agent_resume();                                               \
        errno = err;                                                           \
        return ret;                                                            \
    }

ALONE(unshare, (int flags), (flags))
ALONE(setns, (int fd, int nstype), (fd, nstype))
ALONE(setuid, (uid_t uid), (uid))
ALONE(setgid, (gid_t gid), (gid))
ALONE(seteuid, (uid_t uid), (uid))
ALONE(setegid, (gid_t gid), (gid))
ALONE(setreuid, (uid_t ruid, uid_t euid), (ruid, euid))
ALONE(setregid, (gid_t rgid, gid_t egid), (rgid, egid))
ALONE(setresuid, (uid_t ruid, uid_t euid, uid_t suid), (ruid, euid, suid))
ALONE(setresgid, (gid_t rgid, gid_t egid, gid_t sgid), (rgid, egid, sgid))
ALONE(setgroups, (size_t n, const gid_t *list), (n, list))
