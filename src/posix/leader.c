/*
 * Linux: whether the program's own threads have all ended while heapmin's
 * still run. A process ends when its last thread ends; when its main
 * thread called pthread_exit() (or a fork child's only thread ended), the
 * kernel keeps the thread-group leader as a zombie until then. Without
 * heapmin the process would be gone; heapmin's threads must end too.
 *
 * Shared by the library's trimmer and the preload agent (compiled into
 * each). /proc/self/stat is opened only when the caller has seen resident
 * size read 0, which is what /proc/self/statm shows once the leader has
 * exited: a live leader never costs an open.
 */
#define _GNU_SOURCE
#include "leader.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int heapmin__thread_count(int *leader_gone)
{
    char buf[1024], *p;
    ssize_t n;
    int field, fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

    *leader_gone = 0;
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* "PID (COMM) STATE PPID ...": the command may hold spaces and ')'. */
    p = strrchr(buf, ')');
    if (p == NULL || p[1] != ' ')
        return 0;
    *leader_gone = p[2] == 'Z';
    /* STATE, at p + 2, is field 3; the thread count, a zombie leader
     * included, is field 20. */
    for (p += 2, field = 3; field < 20 && p != NULL; field++)
        if ((p = strchr(p, ' ')) != NULL)
            p++;
    return p != NULL ? atoi(p) : 0;
}

int heapmin__threads_after_leader(void)
{
    int gone, n = heapmin__thread_count(&gone);

    return gone ? n : 0;
}
