/*
 * The contract (SPEC.md): heapmin() and _heapmin() return 0 and leave errno
 * alone, or return -1 with ENOSYS on a build that cannot trim; the backend
 * and version are what the build says. EXPECTED_BACKEND and PROJECT_VERSION
 * come from meson; the test matrix sets HEAPMIN_EXPECT_BACKEND to check what
 * trim_backend=auto chose (stub with musl, say).
 */
#include "heapmin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,  \
                    #cond);                                                   \
            failures++;                                                       \
        }                                                                     \
    } while (0)

static void check_call(const char *name, int (*fn)(void), int can_trim)
{
    int i;

    /* Twice: the second call has nothing left to release. */
    for (i = 0; i < 2; i++) {
        int rc;

        errno = 12345; /* a value no call would set */
        rc = fn();
        printf("%s() = %d, errno %d\n", name, rc, errno);
        if (can_trim) {
            CHECK(rc == 0);
            CHECK(errno == 12345);
        } else {
            CHECK(rc == -1);
            CHECK(errno == ENOSYS);
        }
    }
}

int main(void)
{
    const char *backend = heapmin_backend();
    const char *expect = getenv("HEAPMIN_EXPECT_BACKEND");
    int can_trim = strcmp(EXPECTED_BACKEND, "stub") != 0;
    void *p;

    printf("backend %s, version %s\n", backend, heapmin_version());
    CHECK(strcmp(backend, EXPECTED_BACKEND) == 0);
    CHECK(expect == NULL || strcmp(backend, expect) == 0);
    CHECK(heapmin_backend() == backend); /* a static string, not rebuilt */
    CHECK(strcmp(heapmin_version(), PROJECT_VERSION) == 0);
    CHECK(strcmp(heapmin_version(), HEAPMIN_VERSION_STRING) == 0);

    check_call("heapmin", heapmin, can_trim);
    check_call("_heapmin", _heapmin, can_trim);

    /* With something freed to release. */
    p = malloc(1 << 20);
    CHECK(p != NULL);
    memset(p, 1, 1 << 20);
    free(p);
    check_call("heapmin", heapmin, can_trim);

    if (failures)
        return 1;
    puts("contract holds");
    return 0;
}
