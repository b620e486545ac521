/*
 * heapmin_trim() and its report: bad sizes are refused, the fields agree
 * with the contract, and the byte counts agree with an independent
 * resident-size reading (frag_resident, which does not use heapmin). On a
 * build that cannot trim the report says so.
 */
#include "heapmin.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "expect.h"
#include "frag.h"

#define MIB (1024.0 * 1024.0)
/* Reading resident size touches a few pages of stack and of /proc itself. */
#define SLACK (512 * 1024)

static long long distance(long long a, long long b)
{
    return a > b ? a - b : b - a;
}

int main(void)
{
    struct heapmin_report r;
    struct frag f;
    const char *backend = heapmin_backend();
    int stub = is_mechanism(backend, "stub") || is_mechanism(backend, "none");
    long long own_before, own_after, lib_now, own_now;
    int rc;

    /* A report too small for the first layout (up to detail: Win32 pads
     * after it) is refused untouched. */
    memset(&r, 0xab, sizeof r);
    r.size = offsetof(struct heapmin_report, detail) + sizeof r.detail - 1;
    errno = 0;
    CHECK(heapmin_trim(&r) == -1 && errno == EINVAL);
    CHECK(r.outcome == (int)0xabababab);
    r.size = 0;
    errno = 0;
    CHECK(heapmin_trim(&r) == -1 && errno == EINVAL);

    /* No report: heapmin() itself. */
    errno = 777;
    rc = heapmin_trim(NULL);
    CHECK(stub ? rc == -1 && errno == ENOSYS : rc == 0 && errno == 777);

    /* The resident-size query agrees with the independent reading. */
    lib_now = heapmin_resident_bytes();
    own_now = frag_resident();
    printf("resident: heapmin %.2f MiB, independent %.2f MiB\n", lib_now / MIB,
           own_now / MIB);
    if (own_now < 0) {
        puts("SKIP: no independent resident-size reading on this system");
        return 77;
    }
    CHECK(lib_now > 0 && distance(lib_now, own_now) < SLACK);

    /* A fragmented heap, trimmed with a report. */
    if (frag_fill(&f, (size_t)64 << 20, 16, 4112, 7) != 0)
        return 99;
    frag_evict(&f, 0.10, 8);
    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    errno = 777;
    own_before = frag_resident();
    rc = heapmin_trim(&r);
    own_after = frag_resident();
    printf("backend %s (%s): rc %d, outcome %d, error %d, before %.2f MiB "
           "(independent %.2f), after %.2f MiB (independent %.2f), released "
           "%.2f MiB in %.3f ms\n",
           r.backend, r.detail, rc, r.outcome, r.error, r.resident_before / MIB,
           own_before / MIB, r.resident_after / MIB, own_after / MIB,
           r.released / MIB, r.elapsed_ns / 1e6);

    CHECK(r.backend == backend);
    CHECK(r.detail != NULL && strlen(r.detail) > 10);
    CHECK(r.resident_before >= 0 && r.resident_after >= 0);
    CHECK(distance(r.resident_before, own_before) < SLACK);
    CHECK(distance(r.resident_after, own_after) < SLACK);
    CHECK(r.released == (r.resident_before > r.resident_after
                             ? r.resident_before - r.resident_after
                             : 0));
    CHECK(r.elapsed_ns >= 0);
    if (stub) {
        CHECK(rc == -1 && errno == ENOSYS);
        CHECK(r.outcome == HEAPMIN_UNSUPPORTED && r.error == ENOSYS);
    } else {
        CHECK(rc == 0 && errno == 777 && r.error == 0);
        CHECK(r.outcome ==
              (r.released > 0 ? HEAPMIN_RELEASED : HEAPMIN_NOTHING_TO_RELEASE));
        CHECK(r.elapsed_ns > 0);
    }
    /* Where trimming gives memory back, the report sees it. */
    if (is_mechanism(backend, "malloc_trim") ||
        is_mechanism(backend, "jemalloc")) {
        CHECK(r.outcome == HEAPMIN_RELEASED);
        CHECK(distance(r.released, own_before - own_after) < SLACK);
        CHECK(r.released > (long long)(16 << 20));
    }
    frag_release(&f);

    if (failures)
        return 1;
    puts("report agrees");
    return 0;
}
