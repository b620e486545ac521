/*
 * Reading a small text file (/proc, /sys) line by line into a buffer the
 * caller owns. stdio would allocate its buffer with malloc, and the first
 * allocation on heapmin's thread gives it a malloc arena of its own (see
 * elf.c).
 */
#ifndef HEAPMIN_POSIX_LINES_H
#define HEAPMIN_POSIX_LINES_H

#include <stddef.h>

struct heapmin__lines {
    int fd;
    size_t start, end;
    char buf[4096];
};

/* Opens path (close-on-exec). Returns 0, or -1 with errno. */
int heapmin__lines_open(struct heapmin__lines *r, const char *path);
/* The next line, without its newline, or NULL at the end. A line longer
 * than the buffer comes in pieces. */
char *heapmin__lines_next(struct heapmin__lines *r);
void heapmin__lines_close(struct heapmin__lines *r);

#endif
