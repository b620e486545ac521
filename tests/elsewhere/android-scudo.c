/*
 * Android's backend (src/posix/android.c) against scudo, the allocator
 * behind Android's mallopt since Android 11, preloaded here (meson sets
 * LD_PRELOAD to argv[1] and turns scudo's time-based release off). scudo
 * 14 refuses M_PURGE_ALL and takes M_PURGE, so this also takes the
 * fallback path. Judged by scudo's own count of releases (oracle.c), and
 * the report must say a trim released memory.
 */
#include "heapmin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "oracle.h"
#include "direct.h"
#include "frag.h"

int main(int argc, char **argv)
{
    struct heapmin_report r;
    struct oracle o;
    struct frag f;
    const char *require = getenv("HEAPMIN_REQUIRE_ALLOCATORS");

    if (strcmp(direct_allocator(), "scudo") != 0) {
        printf("%s: scudo (%s) does not serve malloc here: is "
               "libclang-rt-14-dev installed?\n",
               require != NULL && strcmp(require, "1") == 0 ? "FAIL" : "SKIP",
               argc > 1 ? argv[1] : "not found by clang");
        return require != NULL && strcmp(require, "1") == 0 ? 1 : 77;
    }
    if (frag_fill(&f, (size_t)64 << 20, 16, 4112, 7) != 0) {
        fprintf(stderr, "out of memory while filling\n");
        return 99;
    }
    frag_evict(&f, 0.10, 8);
    CHECK(oracle_start(&o, "scudo") == 0);
    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    CHECK(heapmin_trim(&r) == 0);
    printf("%s: %s; released %.1f MiB in %.1f ms\n", r.backend, r.detail,
           r.released / 1048576.0, r.elapsed_ns / 1e6);
    CHECK(strcmp(r.backend, "mallopt (built in)") == 0);
    CHECK(r.error == 0 && r.outcome == HEAPMIN_RELEASED);
    CHECK(oracle_trimmed(&o) == 1);
    frag_release(&f);
    return failures != 0;
}
