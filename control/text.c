#include "text.h"

#include <stdio.h>

void heapmin__text_size(char *out, size_t size, heapmin_int64 bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes / 1024;
    int u = 0;

    if (bytes < 0) {
        snprintf(out, size, "?");
        return;
    }
    if (bytes < 1024) {
        snprintf(out, size, "%d B", (int)bytes);
        return;
    }
    while (v >= 1024 && u < 3) {
        v /= 1024;
        u++;
    }
    snprintf(out, size, "%.1f %s", v, units[u]);
}

void heapmin__text_trim(char *out, size_t size, heapmin_int64 before,
                        heapmin_int64 after, heapmin_int64 released,
                        heapmin_int64 elapsed_ns, const char *backend)
{
    char b[32], a[32], r[32];

    heapmin__text_size(b, sizeof b, before);
    heapmin__text_size(a, sizeof a, after);
    heapmin__text_size(r, sizeof r, released);
    snprintf(out, size, "%s -> %s (-%s) in %.1f ms, %s", b, a, r,
             (double)elapsed_ns / 1e6, backend);
}
