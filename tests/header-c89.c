/*
 * Compiled as C89 with -pedantic -Werror: the header is self-contained and
 * keeps existing client code of _heapmin working (its own prototype, the
 * address taken, #undef before the call; heapmin(3), NOTES).
 */
#include "heapmin.h"

#include <stdio.h>
#include <string.h>

extern int _heapmin(void); /* client code declares its own prototype */

int main(void)
{
    int (*fn)(void) = _heapmin;
    struct heapmin_report report;
    heapmin_int64 resident = heapmin_resident_bytes();
    int a, b, c;

    report.size = sizeof report;
    (void)heapmin_trim(&report);
    if (report.backend != heapmin_backend() || resident == 0)
        return 1;

    a = fn();
    b = heapmin();
#undef _heapmin
    /*
     * On POSIX still heapmin's function; on Windows the C runtime's (see
     * heapmin.h), whose result may differ, so only POSIX compares it.
     */
    c = _heapmin();
    printf("c89: %d %d %d on %s, version %d\n", a, b, c, heapmin_backend(),
           HEAPMIN_VERSION_NUMBER);
#if defined(_WIN32)
    c = b;
#endif
    if (a != b || b != c)
        return 1;
    return strcmp(heapmin_version(), HEAPMIN_VERSION_STRING) == 0 ? 0 : 1;
}
