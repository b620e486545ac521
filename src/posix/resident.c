/*
 * Resident size on Linux and Android, for heapmin_trim() and
 * heapmin_resident_bytes(): /proc/self/statm, read with open and read so
 * that measuring allocates nothing. macOS and the BSDs have files of their
 * own beside this one; on a system heapmin does not know, where there is
 * no such file, resident size is -1 and reports say "unmeasured".
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <unistd.h>

#include "../internal.h"

heapmin_int64 heapmin_resident_bytes(void)
{
    char buf[128];
    const char *s;
    heapmin_int64 pages = 0;
    ssize_t len;
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0)
        return -1;
    buf[len] = '\0';
    /* "size resident shared text lib data dt", in pages. */
    for (s = buf; *s != ' '; s++)
        if (*s == '\0')
            return -1;
    for (s++; *s >= '0' && *s <= '9'; s++)
        pages = pages * 10 + (*s - '0');
    return pages * (heapmin_int64)sysconf(_SC_PAGESIZE);
}
