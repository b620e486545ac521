/*
 * Android's backend (src/posix/android.c) against every answer mallopt can
 * give: this program defines mallopt itself, so the backend calls it and
 * not glibc's (which answers 1 to everything and does nothing). M_PURGE_ALL
 * must come first, M_PURGE only when it is refused, and ENOSYS when both
 * are (Android before API 28).
 */
#include "heapmin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

#define M_PURGE (-101)
#define M_PURGE_ALL (-104)

static int answers[2];
static int calls[4];
static int ncalls;

int mallopt(int param, int value)
{
    int answer = ncalls < 2 ? answers[ncalls] : -1;

    (void)value;
    if (ncalls < 4)
        calls[ncalls] = param;
    ncalls++;
    return answer;
}

static void run(int all, int one, int want_rc, const int *want, int nwant)
{
    int rc, i;

    answers[0] = all;
    answers[1] = one;
    ncalls = 0;
    errno = 0;
    rc = heapmin();
    printf("mallopt answers M_PURGE_ALL %d, M_PURGE %d: heapmin() = %d, "
           "errno %d, %d calls\n",
           all, one, rc, errno, ncalls);
    CHECK(rc == want_rc);
    CHECK(rc == 0 || errno == ENOSYS);
    CHECK(ncalls == nwant);
    for (i = 0; i < nwant && i < ncalls; i++)
        CHECK(calls[i] == want[i]);
}

int main(void)
{
    static const int all_only[] = {M_PURGE_ALL};
    static const int both[] = {M_PURGE_ALL, M_PURGE};
    struct heapmin_report r;

    CHECK(strcmp(heapmin_backend(), "mallopt (built in)") == 0);
    run(1, -1, 0, all_only, 1); /* Android 14: M_PURGE_ALL */
    run(0, 1, 0, both, 2);      /* Android 9 to 13: M_PURGE */
    run(0, 0, -1, both, 2);     /* older: neither */

    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    ncalls = 0;
    CHECK(heapmin_trim(&r) == -1 && r.outcome == HEAPMIN_UNSUPPORTED &&
          r.error == ENOSYS);
    return failures != 0;
}
