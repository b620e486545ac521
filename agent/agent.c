/*
 * libheapmin-auto.so, the preload agent: automatic trimming for programs
 * that never call heapmin, switched on by HEAPMIN_AUTO (config.h) and
 * loaded with LD_PRELOAD (Linux). It is a client of the public API like any
 * other: heapmin_auto_start() with the parsed config, one line per trim in
 * the log, and a control socket (control.c) for `heapmin trim` and
 * `heapmin status`.
 *
 * It must never harm its host: without HEAPMIN_AUTO it does nothing at all;
 * with a bad one it says so in one line and does nothing else; it never
 * exits, aborts or writes to stdout. A child forked without exec (a
 * prefork server's worker) gets its own trimmer and socket; one started
 * with exec inherits the environment and so its own agent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../src/posix/fd.h"
#include "../src/posix/leader.h"
#include "agent.h"
#include "config.h"
#include "text.h"

/* How long the agent waits before it starts the trimmer (agent_main): a
 * program that lives less pays for one sleeping thread. A fork child
 * waits longer: most children that do not exec (a save, a pool's task)
 * are short, and a child that leaves by _exit leaves its socket behind. */
#define START_DELAY_MS 100
#define CHILD_START_DELAY_MS 1000
/* How often the agent's thread looks whether it is alone, at most. */
#define TURN_MS 1000
/* The agent's thread's stack: it formats a few lines and calls the
 * library. The default (8 MiB) counts against RLIMIT_MEMLOCK under
 * mlockall(MCL_FUTURE). */
#define STACK_SIZE (256 * 1024)
/* Below this RLIMIT_NPROC (threads count against it) the agent takes
 * none of the program's room for threads and processes. */
#define MIN_NPROC 1024

static struct heapmin__agent_config config;
static struct heapmin__fd log_file = HEAPMIN__FD_NONE;
static int log_fd = -1; /* 2 for stderr, or log_file's descriptor */
static int forked;      /* a fork child of a process with the agent */

/* What the agent adds to heapmin_auto_stats(), guarded by lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    long long requests, request_released, request_ns;
    long long last_at; /* monotonic ns of the last trim; 0: none yet */
    long long last_released, last_elapsed_ns;
    const char *last_why;
} counts;

void heapmin__agent_say(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n = snprintf(line, sizeof line, "heapmin: ");

    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    n = (int)strlen(line);
    line[n++] = '\n';
    /* One write, so that the line is not split by the host's own output. */
    if (write(2, line, (size_t)n) < 0)
        return;
}

static long long now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Counts a trim, and logs it as "heapmin[PID]: WHY trim: before -> ...". */
static void note(const struct heapmin_report *r, const char *why, int requested)
{
    char line[512], what[256];
    int n;

    pthread_mutex_lock(&lock);
    if (requested) {
        counts.requests++;
        counts.request_released += r->released > 0 ? r->released : 0;
        counts.request_ns += r->elapsed_ns;
    }
    counts.last_at = now_ns();
    counts.last_released = r->released;
    counts.last_elapsed_ns = r->elapsed_ns;
    counts.last_why = why;
    pthread_mutex_unlock(&lock);
    /* A log file the program closed (and maybe reused) is not written. */
    if (log_fd < 0 || (log_fd != 2 && !heapmin__fd_check(&log_file)))
        return;
    if (r->error != 0)
        snprintf(what, sizeof what, "failed: %s, %s", strerror(r->error),
                 r->backend);
    else
        heapmin__text_trim(what, sizeof what, r->resident_before,
                           r->resident_after, r->released, r->elapsed_ns,
                           r->backend);
    n = snprintf(line, sizeof line, "heapmin[%ld]: %s trim: %s\n",
                 (long)getpid(), why, what);
    if (n > 0 &&
        write(log_fd, line,
              (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0)
        return; /* a log that cannot be written is not the host's problem */
}

static const char *reason(int r)
{
    return r == HEAPMIN_AUTO_PRESSURE  ? "pressure"
           : r == HEAPMIN_AUTO_REQUEST ? "request"
                                       : "automatic";
}

static void on_trim(const struct heapmin_report *r, void *arg)
{
    struct heapmin_auto_stats s;

    (void)arg;
    s.size = sizeof s;
    heapmin_auto_stats(&s);
    note(r, reason(s.last_reason), 0);
}

static void agent_trim(char *out, size_t size)
{
    struct heapmin_report r;

    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    heapmin_trim(&r);
    note(&r, "requested", 1);
    snprintf(out, size,
             "backend=%s\nfailed=%s\nbefore=%lld\nafter=%lld\nreleased=%lld\n"
             "elapsed_ns=%lld\n",
             r.backend, r.error != 0 ? strerror(r.error) : "",
             (long long)r.resident_before, (long long)r.resident_after,
             (long long)r.released, (long long)r.elapsed_ns);
}

static void agent_status(char *out, size_t size)
{
    struct heapmin_auto_stats s;
    long long ago;

    s.size = sizeof s;
    heapmin_auto_stats(&s);
    pthread_mutex_lock(&lock);
    ago = counts.last_at != 0 ? now_ns() - counts.last_at : -1;
    snprintf(out, size,
             "version=%s\nbackend=%s\nresident=%lld\nrunning=%d\n"
             "interval_ms=%u\nbudget=%g\nmin_release=%lld\npressure_on=%d\n"
             "log=%s\nchecks=%lld\ntrims=%lld\nreleased=%lld\ntrim_ns=%lld\n"
             "count_ns=%lld\ndeferred=%lld\nrequests=%lld\n"
             "request_released=%lld\nrequest_ns=%lld\nlast_ago_ns=%lld\n"
             "last_why=%s\nlast_released=%lld\nlast_elapsed_ns=%lld\n"
             "pressure=%s\n",
             heapmin_version(), heapmin_backend(),
             (long long)heapmin_resident_bytes(), s.running, s.interval_ms,
             s.cpu_budget * 100, (long long)s.min_release,
             !(config.trimmer.flags & HEAPMIN_AUTO_NO_PRESSURE),
             config.log == HEAPMIN__LOG_FILE     ? config.log_path
             : config.log == HEAPMIN__LOG_STDERR ? "stderr"
                                                 : "off",
             (long long)s.checks, (long long)s.trims, (long long)s.released,
             (long long)s.trim_ns, (long long)s.count_ns, (long long)s.deferred,
             counts.requests, counts.request_released, counts.request_ns, ago,
             counts.last_why ? counts.last_why : "", counts.last_released,
             counts.last_elapsed_ns, s.pressure);
    pthread_mutex_unlock(&lock);
}

static void serve(const char *request, char *reply, size_t size)
{
    if (strcmp(request, "trim") == 0)
        agent_trim(reply, size);
    else
        agent_status(reply, size);
}

/*
 * The agent's thread and how it is stopped: by a pause (unshare.c) or
 * when it finds itself alone. Guarded by run_lock.
 */
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t thread;
static int thread_up;       /* thread was started and not joined yet */
static int pauses;          /* nesting count of heapmin__agent_pause() */
static int stopping;        /* read by the thread at each turn */
static int started_trimmer; /* the thread's heapmin_auto_start() worked */
static sem_t nap;           /* what the thread sleeps on without a socket */
/* What the thread returns when a pause stopped it. */
static char paused_mark;
static pid_t agent_pid; /* the process whose agent this is */

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* Sleeps up to ms, or until a pause posts nap. */
static void doze(int ms)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!LOAD(stopping) && sem_timedwait(&nap, &until) != 0 &&
           errno == EINTR)
        ;
}

/*
 * Whether every thread of the program has ended and only heapmin's are
 * left (leader.h): this one and a trimmer (the agent's, or one the
 * program started).
 */
static int alone(void)
{
    struct heapmin_auto_stats s;
    int left;

    if (heapmin_resident_bytes() != 0 ||
        (left = heapmin__threads_after_leader()) == 0)
        return 0;
    s.size = sizeof s;
    heapmin_auto_stats(&s);
    return left <= 2 + s.running;
}

/*
 * The agent's thread ("heapmin-agent"). It waits a little before it starts
 * anything, so that a program that lives less than that (a shell's
 * commands inherit HEAPMIN_AUTO too) pays for one thread and nothing else:
 * no detection, no pressure registration, no socket. Then it starts the
 * trimmer and, with the control socket on, serves it until it is paused
 * or the program's own threads have all ended; with it off, it ends.
 */
static void *agent_main(void *arg)
{
    struct timespec retry = {0, 10000000L};
    int tries = 0;

    doze((int)(size_t)arg);
#if defined(__GLIBC__)
    pthread_setname_np(pthread_self(), "heapmin-agent");
#endif
    if (alone())
        return NULL; /* the program ended while this thread waited */
    config.trimmer.on_trim = on_trim;
    while (!LOAD(stopping) && !started_trimmer) {
        if (heapmin_auto_start(&config.trimmer) == 0) {
            STORE(started_trimmer, 1);
            break;
        }
        /*
         * In a fork child the library's fork handler, which runs after
         * ours, forgets the parent's trimmer: until then a start says
         * EALREADY. Later, EALREADY means the program runs its own
         * trimmer, and the socket serves its stats all the same.
         */
        if (errno == EALREADY && forked && ++tries < 20) {
            nanosleep(&retry, NULL);
            continue;
        }
        if (errno == EALREADY)
            break;
        heapmin__agent_say("not trimming: %s (backend %s)", strerror(errno),
                           heapmin_backend());
        return NULL;
    }
    while (config.control && !LOAD(stopping)) {
        if (alone()) {
            heapmin_auto_stop();
            return NULL;
        }
        heapmin__control_wait(TURN_MS, serve);
    }
    return LOAD(stopping) ? &paused_mark : NULL;
}

/*
 * Starts the agent's thread after delay_ms, with every signal blocked (the
 * program's signals go to its own threads) and a small stack. Returns 0
 * or an errno value. Called with run_lock held, or before any thread.
 */
static int start(int delay_ms)
{
    pthread_attr_t attr;
    sigset_t all, old;
    int err;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, STACK_SIZE);
    STORE(stopping, 0);
    err = pthread_create(&thread, &attr, agent_main, (void *)(size_t)delay_ms);
    /* A program with large static TLS (it comes out of the stack) needs
     * the default size. */
    if (err == EINVAL)
        err =
            pthread_create(&thread, NULL, agent_main, (void *)(size_t)delay_ms);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    thread_up = err == 0;
    if (err != 0)
        heapmin__agent_say("not trimming: no thread: %s", strerror(err));
    return err;
}

/* What a pause stopped, for the resume to start again. */
static int restart_thread, restart_trimmer;

void heapmin__agent_pause(void)
{
    /* A vfork child shares the agent's memory with its parent, whose
     * threads are not the child's to stop. */
    if (getpid() != LOAD(agent_pid))
        return;
    pthread_mutex_lock(&run_lock);
    if (pauses++ == 0) {
        int gone, before = heapmin__thread_count(&gone), stopped = 0, i;

        if (thread_up && !pthread_equal(thread, pthread_self())) {
            void *why;

            STORE(stopping, 1);
            sem_post(&nap);
            heapmin__control_interrupt();
            pthread_join(thread, &why);
            thread_up = 0;
            stopped++;
            heapmin__control_remove();
            /* One that had ended by itself (alone, control off, unable
             * to trim) stays ended. */
            restart_thread = why == &paused_mark;
        }
        restart_trimmer = LOAD(started_trimmer) && heapmin_auto_stop() == 0;
        stopped += restart_trimmer;
        /*
         * pthread_join() returns when a thread has left user space, a
         * moment before the kernel takes it out of the process; until
         * then unshare() still sees it. Up to 100 ms.
         */
        for (i = 0; stopped > 0 && i < 1000 &&
                    heapmin__thread_count(&gone) > before - stopped;
             i++)
            nanosleep(&(struct timespec){0, 100000L}, NULL);
    }
    pthread_mutex_unlock(&run_lock);
}

void heapmin__agent_resume(void)
{
    if (getpid() != LOAD(agent_pid))
        return;
    pthread_mutex_lock(&run_lock);
    if (pauses > 0 && --pauses == 0) {
        if (restart_trimmer && heapmin_auto_start(&config.trimmer) != 0)
            STORE(started_trimmer, 0);
        if (restart_thread) {
            while (sem_trywait(&nap) == 0)
                ;
            /* unshare and nsenter exec a program next: no detection or
             * socket for a process about to be replaced. */
            start(START_DELAY_MS);
        }
        restart_thread = restart_trimmer = 0;
    }
    pthread_mutex_unlock(&run_lock);
}

/*
 * fork() takes the agent's locks so the child never inherits one held; the
 * child then starts its own trimmer and socket. The library's own fork
 * handler, registered before these by heapmin_auto_start(), has already
 * told it that the trimmer thread stayed in the parent.
 */
static void prefork(void)
{
    pthread_mutex_lock(&run_lock);
    pthread_mutex_lock(&lock);
    heapmin__control_prefork();
}

static void postfork_parent(void)
{
    heapmin__control_postfork_parent();
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&run_lock);
}

static void postfork_child(void)
{
    /* The parent's agent ran (or a pause of the parent's would restart
     * it): the child gets its own. */
    int wanted = thread_up || restart_thread || LOAD(started_trimmer);

    heapmin__control_postfork_child();
    memset(&counts, 0, sizeof counts);
    forked = 1;
    STORE(started_trimmer, 0);
    thread_up = 0;
    restart_trimmer = 0;
    heapmin__fd_inherit(&log_file);
    sem_init(&nap, 0, 0);
    STORE(agent_pid, getpid());
    pthread_mutex_unlock(&lock);
    /* A pause in progress is another thread's, which the child has not. */
    pauses = 0;
    restart_thread = 0;
    if (wanted)
        start(CHILD_START_DELAY_MS);
    pthread_mutex_unlock(&run_lock);
}

/* RLIMIT_NPROC where it leaves the program little room (the agent's
 * thread would count against it), else 0. Root is not held to it. */
static long nproc_tight(void)
{
    struct rlimit r;

    return getuid() != 0 && getrlimit(RLIMIT_NPROC, &r) == 0 &&
                   r.rlim_cur != RLIM_INFINITY && r.rlim_cur < MIN_NPROC
               ? (long)r.rlim_cur
               : 0;
}

__attribute__((constructor)) static void agent_start(void)
{
    const char *text = getenv("HEAPMIN_AUTO");
    char err[256];
    void *volatile warm;
    long nproc;

    if (text == NULL)
        return;
    /* The loader ignores LD_PRELOAD there, unless from trusted paths. */
    if (getauxval(AT_SECURE)) {
        heapmin__agent_say("HEAPMIN_AUTO is ignored in a setuid, setgid or "
                           "privileged program");
        return;
    }
    if (heapmin__agent_parse(text, &config, err, sizeof err) != 0) {
        heapmin__agent_say("HEAPMIN_AUTO: %s; not trimming", err);
        return;
    }
    if ((nproc = nproc_tight()) != 0) {
        heapmin__agent_say("not trimming: RLIMIT_NPROC is %ld, and the "
                           "agent's thread would count against it",
                           nproc);
        return;
    }
    heapmin__control_init(getenv("XDG_RUNTIME_DIR"));
    if (config.log == HEAPMIN__LOG_FILE) {
        int fd = open(config.log_path,
                      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0 || heapmin__fd_adopt(&log_file, fd) != 0) {
            heapmin__agent_say("HEAPMIN_AUTO: log=%s: %s; not trimming",
                               config.log_path, strerror(errno));
            return;
        }
        log_fd = log_file.fd;
    } else if (config.log == HEAPMIN__LOG_STDERR) {
        log_fd = 2;
    }
    sem_init(&nap, 0, 0);
    agent_pid = getpid();
    /*
     * An allocator registers its own fork handlers when it first
     * allocates. Those must run before the child handler below, which
     * allocates (a thread): child handlers run in the order registered.
     */
    warm = malloc(1);
    free(warm);
    if (start(START_DELAY_MS) != 0) {
        heapmin__fd_close(&log_file);
        log_fd = -1;
        return;
    }
    pthread_atfork(prefork, postfork_parent, postfork_child);
}

__attribute__((destructor)) static void agent_stop(void)
{
    heapmin__control_remove();
}
