/*
 * libheapmin-auto.so, the preload agent: automatic trimming for programs
 * that never call heapmin, switched on by HEAPMIN_AUTO (config.h) and
 * loaded with LD_PRELOAD (Linux). It starts the library's trimmer with the
 * parsed config and is its guest (guest.h): one thread in all, which also
 * serves a control socket (control.c) for `heapmin trim` and `heapmin
 * status`, and one line per trim in the log.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "../src/auto/guest.h"
#include "../src/posix/fd.h"
#include "../src/posix/leader.h"
#include "../control/protocol.h"
#include "../control/text.h"
#include "agent.h"
#include "config.h"
#include "control.h"
#include "room.h"
#include "say.h"

/* How long the agent's trimmer waits before it begins (start): a program
 * that lives less pays for one sleeping thread. A fork child
 * waits longer: most children that do not exec (a save, a pool's task)
 * are short, and a child that leaves by _exit leaves its socket behind. */
#define START_DELAY_MS 100
#define CHILD_START_DELAY_MS 1000
static struct heapmin__agent_config config;
static struct heapmin__fd log_file = HEAPMIN__FD_NONE;
static int log_fd = -1; /* 2 for stderr, or log_file's descriptor */

/* What the agent adds to heapmin_auto_stats(), guarded by lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    long long requests, request_released, request_ns;
    long long last_at; /* monotonic ns of the last trim; 0: none yet */
    long long last_released, last_elapsed_ns;
    const char *last_why;
} counts;

static long long now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000 + t.tv_nsec;
}

/*
 * Counts a trim, and logs it as "heapmin[PID]: WHY trim: before -> ...",
 * with what it was predicted to take (predicted_ns >= 0) after.
 */
static void note(const struct heapmin_report *r, const char *why, int requested,
                 long long predicted_ns)
{
    char line[512], what[256], predicted[64] = "";
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
    if (predicted_ns >= 0)
        snprintf(predicted, sizeof predicted, " (predicted %.1f ms)",
                 (double)predicted_ns / 1e6);
    n = snprintf(line, sizeof line, "heapmin[%ld]: %s trim: %s%s\n",
                 (long)getpid(), why, what, predicted);
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
    note(r, reason(s.last_reason), 0, s.last_predicted_ns);
}

static void agent_trim(struct heapmin__reply *out)
{
    struct heapmin_report r;

    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    heapmin_trim(&r);
    note(&r, "requested", 1, -1);
    snprintf(out->backend, sizeof out->backend, "%s", r.backend);
    if (r.error != 0)
        snprintf(out->failed, sizeof out->failed, "%s", strerror(r.error));
    out->before = r.resident_before;
    out->after = r.resident_after;
    out->released = r.released;
    out->elapsed_ns = r.elapsed_ns;
}

static void agent_status(struct heapmin__reply *out)
{
    struct heapmin_auto_stats s;

    s.size = sizeof s;
    heapmin_auto_stats(&s);
    snprintf(out->version, sizeof out->version, "%s", heapmin_version());
    snprintf(out->backend, sizeof out->backend, "%s", heapmin_backend());
    out->resident = heapmin_resident_bytes();
    out->running = s.running;
    out->interval_ms = s.interval_ms;
    out->budget = s.cpu_budget * 100;
    out->min_release = s.min_release;
    out->max_stall_ms = s.max_stall_ms;
    out->holds_lock = s.holds_lock;
    out->pressure_on = !(config.trimmer.flags & HEAPMIN_AUTO_NO_PRESSURE);
    snprintf(out->log, sizeof out->log, "%s",
             config.log == HEAPMIN__LOG_FILE     ? config.log_path
             : config.log == HEAPMIN__LOG_STDERR ? "stderr"
                                                 : "off");
    out->checks = s.checks;
    out->trims = s.trims;
    out->released = s.released;
    out->trim_ns = s.trim_ns;
    out->count_ns = s.count_ns;
    out->deferred = s.deferred;
    out->trim_cpu_ns = s.trim_cpu_ns;
    out->count_wall_ns = s.count_wall_ns;
    out->credit_ns = s.credit_ns;
    out->quiet_waits = s.quiet_waits;
    out->next_release = s.next_release;
    out->next_predicted_ns = s.next_predicted_ns;
    out->last_predicted_ns = s.last_predicted_ns;
    snprintf(out->pressure, sizeof out->pressure, "%s", s.pressure);
    pthread_mutex_lock(&lock);
    out->requests = counts.requests;
    out->request_released = counts.request_released;
    out->request_ns = counts.request_ns;
    out->last_ago_ns = counts.last_at != 0 ? now_ns() - counts.last_at : -1;
    snprintf(out->last_why, sizeof out->last_why, "%s",
             counts.last_why ? counts.last_why : "");
    out->last_released = counts.last_released;
    out->last_elapsed_ns = counts.last_elapsed_ns;
    pthread_mutex_unlock(&lock);
}

static void serve(int request, struct heapmin__reply *reply)
{
    if (request == HEAPMIN__REQUEST_TRIM)
        agent_trim(reply);
    else
        agent_status(reply);
}

/*
 * The agent's trimmer, a guest's (guest.h): the control socket is served
 * on the trimmer's own thread, so the program gets one thread of
 * heapmin's. It is stopped by a pause (unshare.c), and ends by itself
 * when the program's own threads have all ended. Guarded by run_lock.
 */
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static int trimming; /* the agent's trimmer was started (it may have ended) */
static int gave_up;  /* it ended as it began: fork children start none */
static int pauses;   /* nesting count of heapmin__agent_pause() */
static int restart;  /* what the outermost pause stopped, for the resume */
static pid_t agent_pid; /* the process whose agent this is */

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static void say_no_room(const char *why)
{
    heapmin__agent_say("not trimming: %s, and the agent's thread would "
                       "count against it",
                       why);
}

/* On the trimmer's thread, once it has waited out its delay. */
static int begin(int err)
{
    char why[256];

    if (err != 0) {
        heapmin__agent_say("not trimming: %s (backend %s)", strerror(err),
                           heapmin_backend());
        STORE(gave_up, 1);
        return err;
    }
    if (!heapmin__agent_room(1, why, sizeof why)) {
        say_no_room(why);
        STORE(gave_up, 1);
        return EAGAIN;
    }
    if (config.control)
        heapmin__control_begin();
    return 0;
}

static void serve_turn(int timeout_ms)
{
    heapmin__control_wait(timeout_ms, serve);
}

static const struct heapmin__guest with_control = {
    begin, serve_turn, heapmin__control_interrupt};
static const struct heapmin__guest without_control = {begin, NULL, NULL};

/*
 * Starts the trimmer after delay_ms: a program that lives less (a shell's
 * commands inherit HEAPMIN_AUTO too) pays for one sleeping thread, and no
 * detection, pressure registration or socket. Returns 0 or an errno value.
 * Called with run_lock held, or before any thread.
 */
static int start(int delay_ms, int keep_stats)
{
    int err = heapmin__auto_start_guest(
        &config.trimmer, config.control ? &with_control : &without_control,
        delay_ms, keep_stats);

    trimming = err == 0;
    if (err != 0)
        heapmin__agent_say("not trimming: %s", strerror(err));
    return err;
}

void heapmin__agent_pause(void)
{
    /* A vfork child shares the agent's memory with its parent, whose
     * threads are not the child's to stop. */
    if (getpid() != LOAD(agent_pid))
        return;
    pthread_mutex_lock(&run_lock);
    if (pauses++ == 0) {
        int gone, before = heapmin__thread_count(&gone), i;

        /* One that ended by itself (alone, nothing to trim) stays ended. */
        restart = trimming && heapmin_auto_stop() == 0;
        trimming = 0;
        if (restart)
            heapmin__control_remove();
        /*
         * pthread_join() returns when a thread has left user space, a
         * moment before the kernel takes it out of the process; until
         * then unshare() still sees it. Up to 100 ms.
         */
        for (i = 0; restart && i < 1000 &&
                    heapmin__thread_count(&gone) > before - 1;
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
        /* unshare and nsenter exec a program next: no detection or
         * socket for a process about to be replaced. */
        if (restart)
            start(START_DELAY_MS, 1);
        restart = 0;
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
     * it): the child gets its own. The library's own fork handler, which
     * ran first, has forgotten the parent's trimmer. */
    int wanted = (trimming || restart) && !LOAD(gave_up);

    heapmin__control_postfork_child();
    memset(&counts, 0, sizeof counts);
    heapmin__fd_inherit(&log_file);
    STORE(agent_pid, getpid());
    pthread_mutex_unlock(&lock);
    /* A pause in progress is another thread's, which the child has not. */
    pauses = 0;
    restart = 0;
    trimming = 0;
    if (wanted)
        start(CHILD_START_DELAY_MS, 0);
    pthread_mutex_unlock(&run_lock);
}

__attribute__((constructor)) static void agent_start(void)
{
    const char *text = getenv("HEAPMIN_AUTO");
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
    if (!heapmin__agent_room(0, err, sizeof err)) {
        say_no_room(err);
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
    agent_pid = getpid();
    config.trimmer.on_trim = on_trim;
    /*
     * An allocator registers its own fork handlers when it first
     * allocates. Those must run before the child handler below, which
     * allocates (a thread): child handlers run in the order registered.
     */
    warm = malloc(1);
    free(warm);
    if (start(START_DELAY_MS, 0) != 0) {
        heapmin__fd_close(&log_file);
        log_fd = -1;
        return;
    }
    pthread_atfork(prefork, postfork_parent, postfork_child);
}

__attribute__((destructor)) static void agent_stop(void)
{
    heapmin__control_end();
}
