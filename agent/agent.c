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
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "text.h"

/* How long the agent waits before it starts the trimmer (agent_main). */
#define START_DELAY_MS 100

static struct heapmin__agent_config config;
static int log_fd = -1;
static int forked; /* a fork child of a process with the agent */
static char xdg[256];

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
    if (log_fd < 0)
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

void heapmin__agent_trim(char *out, size_t size)
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

void heapmin__agent_status(char *out, size_t size)
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

/*
 * The agent's thread ("heapmin-agent"). It waits a little before it starts
 * anything, so that a program that lives less than that (a shell's
 * commands inherit HEAPMIN_AUTO too) pays for one thread and nothing else:
 * no detection, no pressure registration, no socket. Then it starts the
 * trimmer, and serves the control socket for the rest of the process.
 */
static void *agent_main(void *arg)
{
    struct timespec delay = {0, START_DELAY_MS * 1000000L};
    struct timespec retry = {0, 10000000L};
    int tries = 0;

    (void)arg;
#if defined(__GLIBC__)
    pthread_setname_np(pthread_self(), "heapmin-agent");
#endif
    while (nanosleep(&delay, &delay) != 0 && errno == EINTR)
        ;
    config.trimmer.on_trim = on_trim;
    while (heapmin_auto_start(&config.trimmer) != 0) {
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
    if (config.control)
        heapmin__control_serve(xdg);
    return NULL;
}

/* Starts the agent's thread with every signal blocked (the program's
 * signals go to its own threads). Returns 0 or an errno value. */
static int start(void)
{
    pthread_attr_t attr;
    pthread_t t;
    sigset_t all, old;
    int err;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    err = pthread_create(&t, &attr, agent_main, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0)
        heapmin__agent_say("not trimming: no thread: %s", strerror(err));
    return err;
}

/*
 * fork() takes the agent's locks so the child never inherits one held; the
 * child then starts its own trimmer and socket. The library's own fork
 * handler, registered before these by heapmin_auto_start(), has already
 * told it that the trimmer thread stayed in the parent.
 */
static void prefork(void)
{
    pthread_mutex_lock(&lock);
    heapmin__control_prefork();
}

static void postfork_parent(void)
{
    heapmin__control_postfork_parent();
    pthread_mutex_unlock(&lock);
}

static void postfork_child(void)
{
    heapmin__control_postfork_child();
    memset(&counts, 0, sizeof counts);
    forked = 1;
    pthread_mutex_unlock(&lock);
    start();
}

__attribute__((constructor)) static void agent_start(void)
{
    const char *text = getenv("HEAPMIN_AUTO"), *x = getenv("XDG_RUNTIME_DIR");
    char err[256];
    void *volatile warm;

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
    if (x != NULL && strlen(x) < sizeof xdg)
        strcpy(xdg, x);
    if (config.log == HEAPMIN__LOG_FILE) {
        log_fd = open(config.log_path,
                      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        if (log_fd < 0) {
            heapmin__agent_say("HEAPMIN_AUTO: log=%s: %s; not trimming",
                               config.log_path, strerror(errno));
            return;
        }
    } else if (config.log == HEAPMIN__LOG_STDERR) {
        log_fd = 2;
    }
    /*
     * An allocator registers its own fork handlers when it first
     * allocates. Those must run before the child handler below, which
     * allocates (a thread): child handlers run in the order registered.
     */
    warm = malloc(1);
    free(warm);
    if (start() != 0) {
        if (log_fd > 2)
            close(log_fd);
        log_fd = -1;
        return;
    }
    pthread_atfork(prefork, postfork_parent, postfork_child);
}

__attribute__((destructor)) static void agent_stop(void)
{
    heapmin__control_remove();
}
