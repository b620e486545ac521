/*
 * The trimmer's thread and waiting on POSIX systems: a pthread, poll() on a
 * wake-up pipe and the memory-pressure sources (psi.c), and fork handlers.
 *
 * The pipe is made once and never closed, so heapmin_auto_request() can
 * write to it from a signal handler at any time (write() is
 * async-signal-safe); a fork child makes its own, so that its requests do
 * not wake its parent's trimmer.
 */
#define _GNU_SOURCE /* pipe2, pthread_setname_np */
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE /* pthread_setname_np */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "internal.h"

#define MAX_SOURCES 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
/* The write end is read by heapmin_auto_request() in signal handlers. */
static int wake_pipe[2] = {-1, -1};
static int sources[MAX_SOURCES];
static int source_events[MAX_SOURCES];
static int nsources;
static pthread_t thread;
static volatile int have_thread;

static void register_fork_handlers(void);

void heapmin__auto_lock(void)
{
    /* Before the lock is first taken: a fork while it is held must find
     * the handlers that release it in the child. */
    pthread_once(&once, register_fork_handlers);
    pthread_mutex_lock(&lock);
}

void heapmin__auto_unlock(void)
{
    pthread_mutex_unlock(&lock);
}

static int make_pipe(void)
{
#if defined(HEAPMIN_HAVE_PIPE2)
    return pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) == 0 ? 0 : errno;
#else
    /*
     * Without pipe2 (macOS), another thread's fork and exec before the
     * flags are set would carry a pipe's two ends into its program:
     * harmless.
     */
    int i;

    if (pipe(wake_pipe) != 0)
        return errno;
    for (i = 0; i < 2; i++)
        if (fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC) != 0 ||
            fcntl(wake_pipe[i], F_SETFL, O_NONBLOCK) != 0) {
            int err = errno;

            close(wake_pipe[0]);
            close(wake_pipe[1]);
            wake_pipe[0] = wake_pipe[1] = -1;
            return err;
        }
    return 0;
#endif
}

static void close_sources(void)
{
    int i;

    for (i = 0; i < nsources; i++)
        if (sources[i] >= 0)
            close(sources[i]);
    nsources = 0;
}

/*
 * fork() copies the lock but not the trimmer thread: the lock is taken
 * around fork so that the child never inherits it held, and the child
 * forgets the thread, closes its copies of the sources and makes its own
 * pipe.
 */
static void before_fork(void)
{
    pthread_mutex_lock(&lock);
}

static void after_fork_parent(void)
{
    pthread_mutex_unlock(&lock);
}

static void after_fork_child(void)
{
    if (wake_pipe[0] >= 0) {
        close(wake_pipe[0]);
        close(wake_pipe[1]);
        wake_pipe[0] = wake_pipe[1] = -1;
        make_pipe();
    }
    close_sources();
    have_thread = 0;
    heapmin__auto_forked();
    pthread_mutex_unlock(&lock);
}

static void register_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

int heapmin__waiter_open(int pressure, char *desc, size_t len)
{
    char drained[64];

    if (wake_pipe[0] < 0) {
        int err = make_pipe();
        if (err != 0)
            return err;
    }
    /* Wake-ups meant for an earlier trimmer. */
    while (read(wake_pipe[0], drained, sizeof drained) > 0)
        ;
    nsources = 0;
    if (pressure)
        nsources = heapmin__pressure_open(sources, source_events, MAX_SOURCES,
                                          desc, len);
    else if (len > 0)
        desc[0] = '\0';
    return 0;
}

void heapmin__waiter_close(void)
{
    close_sources();
}

unsigned heapmin__waiter_wait(heapmin_int64 timeout_ns)
{
    struct pollfd fds[1 + MAX_SOURCES];
    unsigned woke = 0;
    int i, n, ms;
    char bytes[64];

    fds[0].fd = wake_pipe[0];
    fds[0].events = POLLIN;
    /* poll() skips the negative descriptors of dropped sources. */
    for (i = 0; i < nsources; i++) {
        fds[1 + i].fd = sources[i];
        fds[1 + i].events = (short)source_events[i];
    }
    /* Rounded up, so that a wait never ends just before its deadline. */
    ms = timeout_ns <= 0 ? 0 : (int)((timeout_ns + 999999) / 1000000);
    n = poll(fds, (nfds_t)(1 + nsources), ms);
    if (n <= 0)
        return 0;
    if (fds[0].revents & POLLIN) {
        ssize_t got;
        while ((got = read(wake_pipe[0], bytes, sizeof bytes)) > 0)
            for (i = 0; i < got; i++)
                woke |= (unsigned char)bytes[i];
    }
    for (i = 0; i < nsources; i++) {
        short r = fds[1 + i].revents;
        if (r & (POLLERR | POLLHUP | POLLNVAL)) {
            /* The source is gone (its cgroup was removed): drop it. */
            close(sources[i]);
            sources[i] = -1;
        } else if (r & POLLIN) {
            /* A FIFO or socket: drain what was written. */
            while (read(sources[i], bytes, sizeof bytes) > 0)
                ;
            woke |= HEAPMIN__WAKE_PRESSURE;
        } else if (r & POLLPRI) {
            woke |= HEAPMIN__WAKE_PRESSURE;
        }
    }
    return woke;
}

int heapmin__waiter_wake(unsigned bits)
{
    unsigned char b = (unsigned char)bits;
    int fd = HEAPMIN__LOAD(wake_pipe[1]);

    if (fd < 0)
        return ESRCH;
    /* A full pipe already holds a wake-up: that is enough. */
    if (write(fd, &b, 1) < 0 && errno != EAGAIN)
        return errno;
    return 0;
}

static void (*thread_fn)(void);

static void *thread_main(void *arg)
{
    (void)arg;
    /* Seen in top -H, ps -L and debuggers; each system spells it its way. */
#if defined(__GLIBC__) || defined(__BIONIC__)
    pthread_setname_np(pthread_self(), "heapmin");
#elif defined(__APPLE__)
    pthread_setname_np("heapmin");
#endif
    thread_fn();
    return NULL;
}

int heapmin__thread_start(void (*fn)(void))
{
    sigset_t all, old;
    int err;

    /* The new thread inherits this mask: every signal blocked. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    thread_fn = fn;
    err = pthread_create(&thread, NULL, thread_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err == 0)
        have_thread = 1;
    return err;
}

void heapmin__thread_join(void)
{
    if (have_thread) {
        pthread_join(thread, NULL);
        have_thread = 0;
    }
}
