/*
 * System calls that the kernel refuses in a multi-threaded process:
 * unshare(CLONE_NEWUSER) and setns() into a mount or user namespace fail
 * with EINVAL when any other thread exists, and the agent's thread would
 * be one (unshare --user, nsenter --mount, sandboxes and container tools
 * call them). The agent defines both, so that the program's calls come
 * here first (LD_PRELOAD puts it before the C library): the agent's
 * threads are stopped, the C library's call is made, and they start again.
 *
 * clone() with namespace flags, and a raw syscall(), are not covered.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <string.h>

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

__attribute__((visibility("default"))) int unshare(int flags)
{
    static int (*real)(int);
    int r, err;

    if (real == NULL && next("unshare", &real, sizeof real) == NULL) {
        errno = ENOSYS;
        return -1;
    }
    heapmin__agent_pause();
    r = real(flags);
    err = errno;
    heapmin__agent_resume();
    errno = err;
    return r;
}

__attribute__((visibility("default"))) int setns(int fd, int nstype)
{
    static int (*real)(int, int);
    int r, err;

    if (real == NULL && next("setns", &real, sizeof real) == NULL) {
        errno = ENOSYS;
        return -1;
    }
    heapmin__agent_pause();
    r = real(fd, nstype);
    err = errno;
    heapmin__agent_resume();
    errno = err;
    return r;
}
