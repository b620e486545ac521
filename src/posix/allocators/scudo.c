/*
 * scudo, LLVM's hardened allocator (Android's default since Android 11;
 * preloaded on Linux as libclang_rt.scudo_standalone-<arch>.so): its
 * mallopt(M_PURGE_ALL) or mallopt(M_PURGE) gives every free page of every
 * size class back. It answers 1 when it knows the request and 0 when it
 * does not: scudo 14 (Debian 12) knows M_PURGE only, newer scudo and
 * Android 14 also M_PURGE_ALL, which releases even what M_PURGE leaves.
 *
 * mallopt is glibc's name too, and glibc's answers 1 to both and does
 * nothing: so scudo is recognised by __scudo_print_stats, and this is only
 * ever called with scudo's own mallopt. Android's C library passes the same
 * requests on to its allocator (../android.c).
 */
#include <errno.h>
#include <string.h>

#include "mechanism.h"

/* Bionic's and scudo's values; no C library header here defines them. */
#define M_PURGE (-101)
#define M_PURGE_ALL (-104)

int heapmin__mallopt_purge(int (*mallopt)(int, int))
{
    if (mallopt(M_PURGE_ALL, 0) == 1)
        return 0;
    return mallopt(M_PURGE, 0) == 1 ? 0 : ENOSYS;
}

static int trim(void *entry)
{
    int (*mallopt)(int, int);

    memcpy(&mallopt, &entry, sizeof mallopt);
    return heapmin__mallopt_purge(mallopt);
}

const struct heapmin__mechanism heapmin__scudo = {
    .name = "scudo",
    .probe = "__scudo_print_stats",
    .entry = "mallopt",
    .trim = trim,
};
