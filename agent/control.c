/*
 * The agent's control socket, served on the trimmer's thread (guest.h):
 * `heapmin trim PID` and `heapmin status PID` connect, send one line
 * ("trim" or "status") and read key=value lines up to the line "end".
 * Where the socket lives and why that is private: channel.h. A connection
 * from another user (not root) is answered "error=refused" and changes
 * nothing.
 *
 * The socket is a descriptor inside someone else's program, kept as fd.h
 * says: checked before every poll and accept, so that one the program
 * closed or reused is forgotten (a new one is made a little later), and
 * never accepted on or closed once it is not the agent's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h> /* kill */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../control/channel.h"
#include "../control/protocol.h"
#include "../src/posix/fd.h"
#include "control.h"
#include "say.h"

/* How long a lost socket waits before it is made again. */
#define REMAKE_NS (5 * 1000000000LL)

/* The socket this process serves, guarded by lock (fork reads it). */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct heapmin__fd listener = HEAPMIN__FD_NONE;
static struct heapmin__fd conn = HEAPMIN__FD_NONE; /* being answered */
static pid_t owner; /* the process that made path; 0: none */
static uid_t owner_uid;
static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char xdg_dir[256];
static long long made_at; /* when a socket was last made or tried */
static int interrupted;   /* by a stop: no more waits until a begin */
static int ended;         /* the process is exiting: no socket again */
static int said;          /* the first failure is said, later ones not */

static long long now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Whether name is "PID.sock" of a process that is gone (not this one). */
static int stale(const char *name)
{
    char *end;
    long pid = strtol(name, &end, 10);

    return pid > 0 && strcmp(end, ".sock") == 0 && pid != (long)getpid() &&
           kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

struct linux_dirent64 { /* as the kernel writes them */
    unsigned long long ino;
    long long off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

/*
 * Removes the sockets in dir whose processes are gone. Read with
 * getdents64, not opendir(), which allocates: the first allocation on
 * heapmin's thread gives it a malloc arena (src/posix/elf.c says why that
 * matters).
 */
static void clean_stale(const char *dir)
{
    union {
        struct linux_dirent64 first; /* aligns what follows */
        char bytes[4096];
    } buf;
    long n;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return;
    while ((n = syscall(SYS_getdents64, fd, buf.bytes, sizeof buf)) > 0) {
        long at;
        const struct linux_dirent64 *e;

        for (at = 0; at < n; at += e->reclen) {
            e = (const struct linux_dirent64 *)(buf.bytes + at);
            if (stale(e->name))
                unlinkat(fd, e->name, 0);
        }
    }
    close(fd);
}

static int open_socket(char *err, size_t len)
{
    struct sockaddr_un a;
    char dir[200];
    int fd;
    uid_t uid = geteuid();

    if (heapmin__channel_dir(dir, sizeof dir, xdg_dir[0] ? xdg_dir : NULL, uid,
                             1, err, len) != 0)
        return -1;
    clean_stale(dir);
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    if (heapmin__channel_path(a.sun_path, sizeof a.sun_path, dir, getpid()) !=
        0) {
        snprintf(err, len, "%s: too long for a socket address", dir);
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, len, "socket: %s", strerror(errno));
        return -1;
    }
    /* Made and adopted under the lock that heapmin__control_end() takes:
     * an exit either finds the socket whole and removes it, or comes
     * first and no socket is made. */
    pthread_mutex_lock(&lock);
    if (ended) {
        pthread_mutex_unlock(&lock);
        close(fd);
        return 0;
    }
    /* A socket of an earlier process that had this PID. */
    unlink(a.sun_path);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        chmod(a.sun_path, 0600) != 0 || listen(fd, 8) != 0) {
        snprintf(err, len, "%s: %s", a.sun_path, strerror(errno));
        pthread_mutex_unlock(&lock);
        close(fd);
        return -1;
    }
    if (heapmin__fd_adopt(&listener, fd) == 0) {
        owner = getpid();
        owner_uid = uid;
        strcpy(path, a.sun_path);
    } else {
        unlink(a.sun_path);
    }
    pthread_mutex_unlock(&lock);
    return 0;
}

/* Drops the socket: closed if still the agent's, its name removed. */
static void drop_socket(void)
{
    pthread_mutex_lock(&lock);
    heapmin__fd_close(&listener);
    if (owner != 0 && owner == getpid())
        unlink(path); /* after a change of user this may fail: stale */
    owner = 0;
    made_at = 0; /* made again at the next wait */
    pthread_mutex_unlock(&lock);
}

/* Reads or writes on the connection only while it is still the agent's. */
static ssize_t conn_read(char *buf, size_t n)
{
    return heapmin__fd_check(&conn) ? read(conn.fd, buf, n) : -1;
}

static void answer(heapmin__control_fn serve)
{
    char line[HEAPMIN__PROTOCOL_LINE], text[HEAPMIN__PROTOCOL_REPLY];
    struct heapmin__reply reply;
    struct ucred cred;
    socklen_t clen = sizeof cred;
    struct timeval limit = {2, 0};
    size_t got = 0;
    ssize_t n;
    int request;

    if (getsockopt(conn.fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0)
        return;
    /* A client that stalls must not hold the socket for long. */
    setsockopt(conn.fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(conn.fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    /* The request is read first, also from a client that will be
     * refused: closing on unread data would break its pipe. */
    while (got < sizeof line - 1 &&
           (n = conn_read(line + got, sizeof line - 1 - got)) > 0) {
        got += (size_t)n;
        if (memchr(line, '\n', got) != NULL)
            break;
    }
    line[got] = '\0';
    line[strcspn(line, "\n")] = '\0';
    request = heapmin__request_parse(line);
    memset(&reply, 0, sizeof reply);
    if (cred.uid != geteuid() && cred.uid != 0)
        snprintf(reply.error, sizeof reply.error,
                 "refused: uid %lu may not control this process "
                 "(only uid %lu and root may)",
                 (unsigned long)cred.uid, (unsigned long)geteuid());
    else if (request != 0)
        serve(request, &reply);
    else
        snprintf(reply.error, sizeof reply.error,
                 "unknown request (send trim or status)");
    heapmin__reply_write(&reply, request, text, sizeof text);
    /* Never SIGPIPE: the default action would end the host. */
    if (heapmin__fd_check(&conn) &&
        send(conn.fd, text, strlen(text), MSG_NOSIGNAL) < 0)
        return;
}

void heapmin__control_init(const char *xdg)
{
    if (xdg != NULL && xdg[0] != '\0' && strlen(xdg) < sizeof xdg_dir)
        strcpy(xdg_dir, xdg);
}

/*
 * Makes the socket if there is none (again, REMAKE_NS after a loss), and
 * moves it when the process has changed its user: the command looks for
 * it in the directory of the user the process runs as.
 */
static void keep_socket(void)
{
    char err[256];
    int have;

    pthread_mutex_lock(&lock);
    have = heapmin__fd_check(&listener);
    pthread_mutex_unlock(&lock);
    if (have && owner_uid == geteuid())
        return;
    if (have)
        drop_socket();
    if (made_at != 0 && now_ns() - made_at < REMAKE_NS)
        return;
    made_at = now_ns();
    if (open_socket(err, sizeof err) != 0 && !said) {
        said = 1;
        heapmin__agent_say("no control socket: %s", err);
    }
}

void heapmin__control_wait(int timeout_ms, heapmin__control_fn serve)
{
    struct pollfd p;
    int c;

    keep_socket();
    /* A stop that came before there was a socket to shut down. */
    if (__atomic_load_n(&interrupted, __ATOMIC_SEQ_CST))
        return;
    p.fd = listener.fd;
    p.events = POLLIN;
    /* Without a socket poll() just waits (a negative fd is skipped). */
    if (poll(&p, 1, timeout_ms) <= 0 || !(p.revents & POLLIN))
        return;
    pthread_mutex_lock(&lock);
    c = heapmin__fd_check(&listener)
            ? accept4(listener.fd, NULL, NULL, SOCK_CLOEXEC)
            : -1;
    if (c >= 0 && heapmin__fd_adopt(&conn, c) != 0)
        c = -1;
    pthread_mutex_unlock(&lock);
    if (c < 0)
        return;
    /* The connection blocks (with time limits), unlike the listener. */
    fcntl(conn.fd, F_SETFL, fcntl(conn.fd, F_GETFL) & ~O_NONBLOCK);
    answer(serve);
    pthread_mutex_lock(&lock);
    heapmin__fd_close(&conn);
    pthread_mutex_unlock(&lock);
}

void heapmin__control_begin(void)
{
    __atomic_store_n(&interrupted, 0, __ATOMIC_SEQ_CST);
}

void heapmin__control_interrupt(void)
{
    /* A listening socket shut down wakes a poll() on it at once. */
    __atomic_store_n(&interrupted, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_lock(&lock);
    if (heapmin__fd_check(&listener))
        shutdown(listener.fd, SHUT_RDWR);
    pthread_mutex_unlock(&lock);
}

void heapmin__control_prefork(void)
{
    pthread_mutex_lock(&lock);
}

void heapmin__control_postfork_parent(void)
{
    pthread_mutex_unlock(&lock);
}

void heapmin__control_postfork_child(void)
{
    /* The parent's socket and the connection it is answering: its thread
     * stayed there. A copy of the connection held here would keep the
     * client waiting after the parent's answer. */
    heapmin__fd_check(&listener);
    heapmin__fd_check(&conn);
    owner = 0;
    made_at = 0;
    pthread_mutex_unlock(&lock);
}

void heapmin__control_remove(void)
{
    drop_socket();
}

void heapmin__control_end(void)
{
    pthread_mutex_lock(&lock);
    ended = 1;
    pthread_mutex_unlock(&lock);
    drop_socket();
}
