/*
 * The portable front: the contract every backend is held to, and the
 * report. Backends return 0 or an errno value; only this file touches errno.
 */
#include "heapmin.h"

#include <errno.h>
#include <stddef.h>

#include "backend.h"

/* Everything up to detail: the smallest report a caller may pass. */
#define REPORT_V1_SIZE                                                         \
    (offsetof(struct heapmin_report, detail) + sizeof(const char *))

static void fill(struct heapmin_report *r, const struct heapmin__backend *b,
                 int err, heapmin_int64 before, heapmin_int64 after,
                 heapmin_int64 elapsed_ns)
{
    int known = before >= 0 && after >= 0;

    r->backend = b->name;
    r->detail = b->detail;
    r->error = err;
    r->resident_before = before;
    r->resident_after = after;
    r->released = !known ? -1 : after < before ? before - after : 0;
    r->elapsed_ns = elapsed_ns;
    if (err == ENOSYS)
        r->outcome = HEAPMIN_UNSUPPORTED;
    else if (err != 0)
        r->outcome = HEAPMIN_FAILED;
    else if (!known)
        r->outcome = HEAPMIN_UNMEASURED;
    else
        r->outcome =
            r->released > 0 ? HEAPMIN_RELEASED : HEAPMIN_NOTHING_TO_RELEASE;
}

int heapmin_trim(struct heapmin_report *report)
{
    /* Allocators and /proc reads may clobber errno even when they succeed. */
    int saved = errno;
    const struct heapmin__backend *b;
    heapmin_int64 before = -1, start = 0;
    int err;

    if (report != NULL && report->size < REPORT_V1_SIZE) {
        errno = EINVAL;
        return -1;
    }
    /*
     * Before the clock starts: the first call may detect the allocator,
     * which is not trimming.
     */
    b = heapmin__backend();
    if (report != NULL) {
        before = heapmin_resident_bytes();
        start = heapmin__now_ns();
    }
    err = b->unable != 0 ? b->unable : b->trim();
    if (report != NULL) {
        heapmin_int64 elapsed = heapmin__now_ns() - start;
        fill(report, b, err, before, heapmin_resident_bytes(), elapsed);
    }
    if (err != 0) {
        errno = err;
        return -1;
    }
    errno = saved;
    return 0;
}

int heapmin(void)
{
    /* No report: nothing is measured, so this costs what the backend does. */
    return heapmin_trim(NULL);
}

const char *heapmin_backend(void)
{
    return heapmin__backend()->name;
}

const char *heapmin_version(void)
{
    return HEAPMIN_VERSION_STRING;
}
