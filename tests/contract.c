/*
 * The contract (heapmin(3), man/heapmin.3.in): heapmin() and _heapmin() return 0 and leave errno
 * alone, or return -1 with ENOSYS where nothing can be trimmed, or ENOTSUP
 * where the build's allocator does not serve malloc; the backend and version
 * are what the build and the process say (expect.h works that out without
 * heapmin). The test matrix sets HEAPMIN_EXPECT_BACKEND to check what
 * trim_backend=auto chose (stub with musl, say).
 */
#include "heapmin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "expect.h"

static void check_call(const char *name, int (*fn)(void), struct expect e)
{
    int i;

    /* Twice: the second call has nothing left to release. */
    for (i = 0; i < 2; i++) {
        int rc;

        errno = 12345; /* a value no call would set */
        rc = fn();
        printf("%s() = %d, errno %d\n", name, rc, errno);
        CHECK(rc == e.rc);
        CHECK(errno == (e.rc == 0 ? 12345 : e.error));
    }
}

int main(void)
{
    const char *backend = heapmin_backend();
    const char *mechanism = getenv("HEAPMIN_EXPECT_BACKEND");
    struct expect e = expected();
    struct heapmin_report report;
    void *p;
    int rc;

    printf("backend %s (expected %s), version %s\n", backend, e.backend,
           heapmin_version());
    CHECK(strcmp(backend, e.backend) == 0);
    CHECK(mechanism == NULL || is_mechanism(backend, mechanism));
    CHECK(heapmin_backend() == backend); /* a static string, not rebuilt */
    CHECK(strcmp(heapmin_version(), PROJECT_VERSION) == 0);
    CHECK(strcmp(heapmin_version(), HEAPMIN_VERSION_STRING) == 0);

    check_call("heapmin", heapmin, e);
    check_call("_heapmin", _heapmin, e);

    /* With something freed to release. */
    p = malloc(1 << 20);
    CHECK(p != NULL);
    memset(p, 1, 1 << 20);
    free(p);
    check_call("heapmin", heapmin, e);

    /* The report agrees, and says in words what trimmed or why not. */
    memset(&report, 0, sizeof report);
    report.size = sizeof report;
    CHECK(heapmin_trim(&report) == e.rc);
    printf("report: outcome %d, error %d: %s\n", report.outcome, report.error,
           report.detail);
    CHECK(report.error == e.error);
    CHECK(report.detail != NULL);
    CHECK(e.error != ENOTSUP ||
          strstr(report.detail, "but malloc is served by"));
    CHECK(e.rc == 0 ||
          report.outcome ==
              (e.error == ENOSYS ? HEAPMIN_UNSUPPORTED : HEAPMIN_FAILED));

    /* The automatic trimmer starts exactly where heapmin() can trim. */
    errno = 0;
    rc = heapmin_auto_start(NULL);
    printf("heapmin_auto_start() = %d, errno %d\n", rc, errno);
    CHECK(rc == e.rc && (rc == 0 || errno == e.error));
    CHECK(rc != 0 || heapmin_auto_stop() == 0);

    if (failures)
        return 1;
    puts("contract holds");
    return 0;
}
