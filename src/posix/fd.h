/*
 * Descriptors heapmin keeps open inside a program that does not know about
 * them (the pressure sources, /proc/self/statm, the agent's socket). The
 * program may close any number (daemons close everything above 2) and get
 * it again for a file of its own; heapmin must then never read, poll,
 * accept on or close that number again. So each descriptor is kept with
 * what it refers to, checked before every use, and forgotten, not closed,
 * when it is no longer the one heapmin opened.
 *
 * Shared by the library and the preload agent (compiled into each; the
 * names stay hidden in both).
 */
#ifndef HEAPMIN_POSIX_FD_H
#define HEAPMIN_POSIX_FD_H

#include <sys/types.h>

struct heapmin__fd {
    int fd; /* -1: none */
    dev_t dev;
    ino_t ino;
    pid_t pid; /* the process that opened it: a fork child's is a copy */
};

#define HEAPMIN__FD_NONE                                                       \
    {                                                                          \
        -1, 0, 0, 0                                                            \
    }

/*
 * Takes fd (just opened, close-on-exec) into f: moves it above the numbers
 * a program usually uses, so that its own open() and dup2() get the
 * numbers they would get without heapmin, and records what it refers to.
 * Returns 0, or an errno value with fd closed and f->fd -1.
 */
int heapmin__fd_adopt(struct heapmin__fd *f, int fd);

/*
 * Whether f->fd still is the descriptor heapmin opened in this process.
 * If not, f->fd becomes -1: a number the program closed or reused is left
 * alone; a copy inherited across fork is closed (it still is heapmin's).
 */
int heapmin__fd_check(struct heapmin__fd *f);

/* In a fork child: keeps the inherited copy of f as the child's own (a
 * log both processes append to), if it still is heapmin's. */
void heapmin__fd_inherit(struct heapmin__fd *f);

/* Closes f->fd if it still is heapmin's (a fork child's copy included:
 * it refers to heapmin's file); forgets it in any case. */
void heapmin__fd_close(struct heapmin__fd *f);

#endif
