/* Line by line without stdio: see lines.h. */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC */
#include "lines.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int heapmin__lines_open(struct heapmin__lines *r, const char *path)
{
    r->start = r->end = 0;
    do
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
    while (r->fd < 0 && errno == EINTR);
    return r->fd >= 0 ? 0 : -1;
}

char *heapmin__lines_next(struct heapmin__lines *r)
{
    for (;;) {
        char *line = r->buf + r->start;
        char *nl = memchr(line, '\n', r->end - r->start);
        ssize_t n;

        if (nl != NULL) {
            *nl = '\0';
            r->start = (size_t)(nl - r->buf) + 1;
            return line;
        }
        /* Room for more: the partial line moves to the front. */
        memmove(r->buf, line, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
        n = 0;
        if (r->end < sizeof r->buf - 1 && r->fd >= 0)
            do
                n = read(r->fd, r->buf + r->end, sizeof r->buf - 1 - r->end);
            while (n < 0 && errno == EINTR);
        if (n > 0) {
            r->end += (size_t)n;
            continue;
        }
        /* The end, or a full buffer without a newline: what is there. */
        if (r->end == 0)
            return NULL;
        r->buf[r->end] = '\0';
        r->start = r->end = 0;
        return r->buf;
    }
}

void heapmin__lines_close(struct heapmin__lines *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}
