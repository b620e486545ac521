/*
 * The agent's control socket, served by the agent's thread, which waits in
 * accept(): `heapmin trim PID` and `heapmin status PID` connect,
 * send one line ("trim" or "status") and read key=value lines up to the
 * line "end". Where the socket lives and why that is private: channel.h.
 * A connection from another user (not root) is answered "error=refused"
 * and changes nothing.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h> /* kill */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "channel.h"

/* The socket this process serves, guarded by lock (fork reads it). */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int listen_fd = -1;
static int conn_fd = -1; /* the connection being answered */
static pid_t owner;      /* the process that made path; 0: none */
static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static const char *xdg_dir;

/* Removes the sockets in dir whose processes are gone. */
static void clean_stale(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (pid > 0 && strcmp(end, ".sock") == 0 && pid != (long)getpid() &&
            kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

static int open_socket(char *err, size_t len)
{
    struct sockaddr_un a;
    char dir[200];
    int fd;

    if (heapmin__channel_dir(dir, sizeof dir, xdg_dir, geteuid(), 1, err,
                             len) != 0)
        return -1;
    clean_stale(dir);
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    if (heapmin__channel_path(a.sun_path, sizeof a.sun_path, dir, getpid()) !=
        0) {
        snprintf(err, len, "%s: too long for a socket address", dir);
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, len, "socket: %s", strerror(errno));
        return -1;
    }
    /* A socket of an earlier process that had this PID. */
    unlink(a.sun_path);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        chmod(a.sun_path, 0600) != 0 || listen(fd, 8) != 0) {
        snprintf(err, len, "%s: %s", a.sun_path, strerror(errno));
        close(fd);
        return -1;
    }
    pthread_mutex_lock(&lock);
    listen_fd = fd;
    owner = getpid();
    strcpy(path, a.sun_path);
    pthread_mutex_unlock(&lock);
    return 0;
}

static void answer(int c)
{
    char line[HEAPMIN__CHANNEL_LINE], reply[HEAPMIN__CHANNEL_REPLY];
    struct ucred cred;
    socklen_t clen = sizeof cred;
    struct timeval limit = {2, 0};
    size_t got = 0;
    ssize_t n;

    if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0)
        return;
    /* A client that stalls must not hold the socket for long. */
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    /* The request is read first, also from a client that will be
     * refused: closing on unread data would break its pipe. */
    while (got < sizeof line - 1 &&
           (n = read(c, line + got, sizeof line - 1 - got)) > 0) {
        got += (size_t)n;
        if (memchr(line, '\n', got) != NULL)
            break;
    }
    line[got] = '\0';
    line[strcspn(line, "\n")] = '\0';
    if (cred.uid != geteuid() && cred.uid != 0)
        snprintf(reply, sizeof reply,
                 "error=refused: uid %lu may not control this process "
                 "(only uid %lu and root may)\n",
                 (unsigned long)cred.uid, (unsigned long)geteuid());
    else if (strcmp(line, "trim") == 0)
        heapmin__agent_trim(reply, sizeof reply);
    else if (strcmp(line, "status") == 0)
        heapmin__agent_status(reply, sizeof reply);
    else
        snprintf(reply, sizeof reply,
                 "error=unknown request (send trim or status)\n");
    /* Room for the closing line, however long the reply came out. */
    reply[sizeof reply - sizeof "end\n"] = '\0';
    strcat(reply, "end\n");
    /* Never SIGPIPE: the default action would end the host. */
    if (send(c, reply, strlen(reply), MSG_NOSIGNAL) < 0)
        return;
}

void heapmin__control_serve(const char *xdg)
{
    char err[256];
    int fd;

    xdg_dir = xdg != NULL && xdg[0] != '\0' ? xdg : NULL;
    if (open_socket(err, sizeof err) != 0) {
        heapmin__agent_say("no control socket: %s", err);
        return;
    }
    fd = listen_fd;
    for (;;) {
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (c >= 0) {
            pthread_mutex_lock(&lock);
            conn_fd = c;
            pthread_mutex_unlock(&lock);
            answer(c);
            pthread_mutex_lock(&lock);
            conn_fd = -1;
            pthread_mutex_unlock(&lock);
            close(c);
        } else if (errno != EINTR && errno != ECONNABORTED && errno != EMFILE &&
                   errno != ENFILE) {
            return;
        }
    }
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
    /* The parent's socket: its thread stayed there. */
    if (listen_fd >= 0)
        close(listen_fd);
    /* A copy held here would keep the client waiting after the parent's
     * answer (the reply's "end" line spares it that in any case). */
    if (conn_fd >= 0)
        close(conn_fd);
    listen_fd = conn_fd = -1;
    owner = 0;
    pthread_mutex_unlock(&lock);
}

void heapmin__control_remove(void)
{
    pthread_mutex_lock(&lock);
    if (owner != 0 && owner == getpid())
        unlink(path);
    owner = 0;
    pthread_mutex_unlock(&lock);
}
