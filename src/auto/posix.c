/*
 * The trimmer's thread and waiting on POSIX systems: a pthread that sleeps
 * on the wake-up (wake-sem.c, or wake-pipe.c on macOS), looks at the
 * memory-pressure sources (psi.c) at least every PRESSURE_SLICE_NS, and
 * fork handlers.
 *
 * The pressure sources are descriptors kept inside the program: each is
 * checked before every use (fd.h), and one that the program closed or
 * reused is forgotten, never polled, read or closed again.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE /* pthread_setname_np */
#endif
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "guest.h"
#include "host.h"
#if defined(__linux__)
#include "../posix/leader.h"
#endif

#define MAX_SOURCES 4
/*
 * How late a pressure event may be seen. A PSI trigger stays raised until
 * it is polled, so none is lost; its window is 2 s, so a second is timely.
 */
#define PRESSURE_SLICE_NS ((heapmin_int64)1000000000)
/* The trimmer calls the allocator and formats a report: a few KiB. */
#define STACK_SIZE (256 * 1024)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct heapmin__fd sources[MAX_SOURCES];
static int source_events[MAX_SOURCES];
static int nsources;
static pthread_t thread;
static volatile int have_thread;
/* Set and cleared with the lock held; read by a stop without it. */
static const struct heapmin__guest *guest;

static void register_fork_handlers(void);
/* The front's handler for a fork child (heapmin__waiter_open). */
static void (*on_fork_child)(void);

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

static void close_sources(void)
{
    int i;

    for (i = 0; i < nsources; i++)
        heapmin__fd_close(&sources[i]);
    nsources = 0;
}

/*
 * fork() copies the lock but not the trimmer thread: the lock is taken
 * around fork so that the child never inherits it held, and the child
 * forgets the thread, closes its copies of the sources and gets a wake-up
 * of its own.
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
    heapmin__wake_forked();
    close_sources();
    HEAPMIN__STORE(guest, NULL);
    have_thread = 0;
    if (on_fork_child != NULL)
        on_fork_child();
    pthread_mutex_unlock(&lock);
}

static void register_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

int heapmin__waiter_open(int pressure, char *desc, size_t len,
                         void (*forked)(void))
{
    int err = heapmin__wake_init();

    on_fork_child = forked;
    if (err != 0)
        return err;
    /* Wake-ups meant for an earlier trimmer, and its guest. */
    heapmin__wake_wait(0);
    HEAPMIN__STORE(guest, NULL);
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
    HEAPMIN__STORE(guest, NULL);
}

int heapmin__waiter_guest(const struct heapmin__guest *g)
{
    HEAPMIN__STORE(guest, g);
    return 0;
}

/* The pressure sources that fired, without waiting; 0 if none. */
static unsigned poll_sources(int *alive)
{
    struct pollfd fds[MAX_SOURCES];
    int map[MAX_SOURCES], i, n = 0;
    unsigned woke = 0;
    char bytes[64];

    for (i = 0; i < nsources; i++)
        if (heapmin__fd_check(&sources[i])) {
            fds[n].fd = sources[i].fd;
            fds[n].events = (short)source_events[i];
            map[n++] = i;
        }
    *alive = n;
    if (n == 0 || poll(fds, (nfds_t)n, 0) <= 0)
        return 0;
    for (i = 0; i < n; i++) {
        struct heapmin__fd *s = &sources[map[i]];
        short r = fds[i].revents;

        if (r & (POLLERR | POLLHUP | POLLNVAL)) {
            /* The source is gone (its cgroup was removed): drop it. */
            heapmin__fd_close(s);
        } else if (r & POLLIN) {
            /* A FIFO or socket: drain what was written. */
            while (read(s->fd, bytes, sizeof bytes) > 0)
                ;
            woke |= HEAPMIN__WAKE_PRESSURE;
        } else if (r & POLLPRI) {
            woke |= HEAPMIN__WAKE_PRESSURE;
        }
    }
    return woke;
}

/*
 * Sleeps up to ns for a wake-up, or lets the guest wait in its place: then
 * a wake-up is seen when the guest's turn ends, and a stop ends it early.
 */
static unsigned sleep_for(heapmin_int64 ns)
{
    const struct heapmin__guest *g = HEAPMIN__LOAD(guest);
    unsigned woke;

    if (g == NULL || g->wait == NULL)
        return heapmin__wake_wait(ns);
    if ((woke = heapmin__wake_wait(0)) != 0)
        return woke;
    g->wait((int)((ns + 999999) / 1000000));
    return heapmin__wake_wait(0);
}

unsigned heapmin__waiter_wait(heapmin_int64 timeout_ns)
{
    heapmin_int64 end = heapmin__now_ns() + timeout_ns, left = timeout_ns;
    int alive = 0;

    for (;;) {
        unsigned woke = poll_sources(&alive);

        if (woke == 0)
            woke = sleep_for(left > PRESSURE_SLICE_NS &&
                                     (alive > 0 || HEAPMIN__LOAD(guest))
                                 ? PRESSURE_SLICE_NS
                                 : left);
        if (woke != 0)
            return woke | poll_sources(&alive);
        left = end - heapmin__now_ns();
        if (left <= 0)
            return 0;
    }
}

int heapmin__waiter_wake(unsigned bits)
{
    const struct heapmin__guest *g = HEAPMIN__LOAD(guest);
    int err = heapmin__wake_post(bits);

    if (err == 0 && (bits & HEAPMIN__WAKE_STOP) && g != NULL &&
        g->interrupt != NULL)
        g->interrupt();
    return err;
}

int heapmin__waiter_alone(void)
{
#if defined(__linux__)
    int left = heapmin__threads_after_leader();

    /* The zombie leader and this thread. */
    return left > 0 && left <= 2;
#else
    return 0;
#endif
}

int heapmin__program_threads(void)
{
#if defined(__linux__)
    int gone, n = heapmin__thread_count(&gone);

    return n > 1 ? n - 1 : 0;
#else
    return 0;
#endif
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
    pthread_attr_t attr;
    sigset_t all, old;
    int err;

    /* One that ended by itself (alone, or nothing to trim with). */
    heapmin__thread_join();
    /* The new thread inherits this mask: every signal blocked. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    thread_fn = fn;
    /* A small stack: the default (8 MiB) counts in full against
     * RLIMIT_MEMLOCK in a program that calls mlockall(MCL_FUTURE). A
     * program with large static TLS, which comes out of the stack,
     * needs the default. */
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, STACK_SIZE);
    err = pthread_create(&thread, &attr, thread_main, NULL);
    if (err == EINVAL)
        err = pthread_create(&thread, NULL, thread_main, NULL);
    pthread_attr_destroy(&attr);
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
