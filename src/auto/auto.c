/*
 * The automatic trimmer's portable front: the API, the state it shares with
 * the trimmer thread, and the thread's loop. The loop only observes, asks
 * the policy (policy.c) and trims through heapmin_trim(); sleeping and
 * waking are the platform's (posix.c, win32.c).
 */
#include <errno.h>
#include <string.h>

#include "guest.h"
#include "host.h"
#include "policy.h"

#define DEFAULT_INTERVAL_MS 1000u
#define DEFAULT_BUDGET 0.005
#define DEFAULT_MIN_RELEASE ((heapmin_int64)8 << 20)
/* Over the stalls of every trim the benches make (BENCHMARKS.md), under
 * those of a gigabyte in one arena. */
#define DEFAULT_MAX_STALL_MS 250u
#define MAX_INTERVAL_MS (24u * 3600u * 1000u)
/* The first layout of each struct: the smallest a caller may pass. */
#define CONFIG_V1_SIZE                                                         \
    (offsetof(struct heapmin_auto_config, arg) + sizeof(void *))
#define STATS_V1_SIZE (offsetof(struct heapmin_auto_stats, pressure) + 256)

/* Shared with the thread, guarded by heapmin__auto_lock. */
static struct {
    int running;
    int stopping;
    int suspended; /* nesting count */
    struct heapmin_auto_config config;
    struct heapmin_auto_stats stats;
    const struct heapmin__guest *guest; /* NULL: the program's own */
    heapmin_int64 delay_ns;             /* a guest's, before it begins */
} state;

/* Read by heapmin_auto_request() in signal handlers, without the lock. */
static volatile int accepting;
/* Set on the trimmer thread, where heapmin_auto_stop() would wait forever. */
static HEAPMIN__THREAD_LOCAL int on_trimmer;

static int validate(const struct heapmin_auto_config *in,
                    struct heapmin_auto_config *out)
{
    memset(out, 0, sizeof *out);
    out->size = sizeof *out;
    if (in != NULL) {
        if (in->size < CONFIG_V1_SIZE)
            return EINVAL;
        memcpy(out, in, in->size < sizeof *out ? in->size : sizeof *out);
        out->size = sizeof *out;
    }
    /* A NaN fails every comparison: it lands here too. */
    if (!(out->cpu_budget >= 0 && out->cpu_budget <= 1) ||
        out->interval_ms > MAX_INTERVAL_MS || out->min_release < 0 ||
        out->max_stall_ms > MAX_INTERVAL_MS ||
        (out->flags & ~HEAPMIN_AUTO_NO_PRESSURE) != 0)
        return EINVAL;
    if (out->interval_ms == 0)
        out->interval_ms = DEFAULT_INTERVAL_MS;
    if (out->cpu_budget == 0)
        out->cpu_budget = DEFAULT_BUDGET;
    if (out->min_release == 0)
        out->min_release = DEFAULT_MIN_RELEASE;
    if (out->max_stall_ms == 0)
        out->max_stall_ms = DEFAULT_MAX_STALL_MS;
    return 0;
}

/*
 * What the budget charges: this thread's CPU time. Wall time would also
 * count waiting for allocator locks and for a CPU on a busy machine, which
 * costs the program nothing. The monotonic clock only where there is no
 * thread clock.
 */
static heapmin_int64 spent_mark(void)
{
    heapmin_int64 t = heapmin__cpu_ns(1);

    return t >= 0 ? t : heapmin__now_ns();
}

/*
 * The allocator's count of free bytes; its CPU time goes to *cost, its
 * wall time to *wall.
 */
static heapmin_int64 count(const struct heapmin__backend *b,
                           heapmin_int64 *cost, heapmin_int64 *wall)
{
    heapmin_int64 at = heapmin__now_ns(), start = spent_mark();
    heapmin_int64 n = b->free_bytes();

    *cost += spent_mark() - start;
    *wall += heapmin__now_ns() - at;
    return n;
}

/* The trimmer's world for heapmin__policy_step: the backend and the clock. */
struct trimmer_world {
    const struct heapmin__backend *backend;
    struct heapmin_report report; /* the last trim's */
    heapmin_int64 count_wall;     /* wall time counting, since last taken */
};

static heapmin_int64 world_count(void *arg, heapmin_int64 *cost)
{
    struct trimmer_world *w = arg;

    return count(w->backend, cost, &w->count_wall);
}

static heapmin_int64 world_trim(void *arg, heapmin_int64 *released,
                                heapmin_int64 *resident_after,
                                heapmin_int64 *wall)
{
    struct heapmin_report *r = &((struct trimmer_world *)arg)->report;
    heapmin_int64 start = spent_mark();

    /* Trimmed outside the lock: a trim may take a second. */
    memset(r, 0, sizeof *r);
    r->size = sizeof *r;
    heapmin_trim(r);
    *released = r->released;
    *resident_after = r->resident_after;
    *wall = r->elapsed_ns;
    return spent_mark() - start;
}

static heapmin_int64 world_now(void *arg)
{
    (void)arg;
    return heapmin__now_ns();
}

static int world_arenas(void *arg)
{
    const struct heapmin__backend *b = ((struct trimmer_world *)arg)->backend;

    return b->arenas != NULL ? b->arenas(heapmin__program_threads()) : 1;
}

/*
 * How much the program's threads (all but this one) ran since the last
 * call: busy above half a CPU (a program in a loop of frees), idle below a
 * twentieth of one (a program waiting for work). Unknown is busy.
 */
struct cpu_mark {
    heapmin_int64 at, used;
};

static void activity(struct cpu_mark *m, struct heapmin__observation *o)
{
    heapmin_int64 all = heapmin__cpu_ns(0), mine = heapmin__cpu_ns(1);
    heapmin_int64 used = all >= 0 && mine >= 0 ? all - mine : -1;
    int known = used >= 0 && m->used >= 0;

    o->busy = !known || (used - m->used) * 2 > o->now - m->at;
    o->idle = known && (used - m->used) * 20 < o->now - m->at;
    m->at = o->now;
    m->used = used;
}

/* The trimmer ends by itself (alone, or nothing to trim with). Called with
 * the lock held. */
static void ended(void)
{
    state.running = 0;
    state.stats.running = 0;
    HEAPMIN__STORE(accepting, 0);
}

/* In a fork child, with the lock held: the child has no trimmer thread. */
static void forked(void)
{
    /* The thread did not come along; its numbers describe the parent. */
    state.running = 0;
    state.stopping = 0;
    state.stats.running = 0;
    HEAPMIN__STORE(accepting, 0);
}

/*
 * A guest's trimmer first waits out its delay, then does what
 * heapmin_auto_start() does in the caller for the program's own: detect
 * the allocator and open the pressure sources. Returns 0 if it is to end
 * (stopped meanwhile, nothing to trim with, or the guest said so).
 */
static int guest_begin(void)
{
    heapmin_int64 end = heapmin__now_ns() + state.delay_ns, left;
    int err, stop = 0;

    while (!stop && (left = end - heapmin__now_ns()) > 0) {
        heapmin__waiter_wait(left);
        heapmin__auto_lock();
        stop = state.stopping;
        heapmin__auto_unlock();
    }
    if (stop)
        return 0;
    err = heapmin__backend()->unable;
    if (state.guest->begin(err) != 0 && err == 0)
        err = ECANCELED;
    heapmin__auto_lock();
    if (err == 0)
        err = heapmin__waiter_open(
            !(state.config.flags & HEAPMIN_AUTO_NO_PRESSURE),
            state.stats.pressure, sizeof state.stats.pressure, forked);
    if (err == 0)
        err = heapmin__waiter_guest(state.guest);
    if (err != 0)
        ended();
    heapmin__auto_unlock();
    return err == 0;
}

static void run(void)
{
    struct trimmer_world trimmer;
    struct heapmin__world world = {NULL,       0,         world_count,
                                   world_trim, world_now, world_arenas};
    const struct heapmin__backend *b;
    struct heapmin__policy policy;
    struct heapmin__observation o = {0, 0, -1, 0, 1, 0, 0, 0, 0};
    heapmin_int64 wait_ns = 0, cost = 0, start_free;
    struct cpu_mark cpu = {0, -1};

    on_trimmer = 1;
    if (state.guest != NULL && !guest_begin())
        return;
    b = heapmin__backend();
    world.arg = &trimmer;
    world.counts = b->free_bytes != NULL;
    trimmer.backend = b;
    trimmer.count_wall = 0;
    start_free =
        b->free_bytes != NULL ? count(b, &cost, &trimmer.count_wall) : -1;
    heapmin__auto_lock();
    heapmin__policy_init(&policy, &state.config, b->holds_lock,
                         heapmin_resident_bytes(), start_free);
    state.stats.count_ns += cost;
    state.stats.count_wall_ns += trimmer.count_wall;
    state.stats.holds_lock = b->holds_lock;
    if (cost > 0)
        heapmin__policy_spent(&policy, heapmin__now_ns(), cost);
    state.stats.credit_ns = heapmin__policy_credit(&policy, heapmin__now_ns());
    heapmin__auto_unlock();
    for (;;) {
        struct heapmin__decision d;
        struct heapmin__step step;
        unsigned woke = heapmin__waiter_wait(wait_ns);

        o.requested |= (woke & HEAPMIN__WAKE_REQUEST) != 0;
        o.pressure |= (woke & HEAPMIN__WAKE_PRESSURE) != 0;
        heapmin__auto_lock();
        if (state.stopping) {
            heapmin__auto_unlock();
            return;
        }
        o.suspended = state.suspended > 0;
        heapmin__auto_unlock();

        o.now = heapmin__now_ns();
        activity(&cpu, &o);
        o.resident = heapmin_resident_bytes();
        /* The program's threads have all ended: so does this one, and the
         * process with it, as it would have without heapmin. */
        if (o.resident == 0 && heapmin__waiter_alone()) {
            heapmin__auto_lock();
            ended();
            heapmin__auto_unlock();
            return;
        }
        trimmer.count_wall = 0;
        step = heapmin__policy_step(&policy, &o, &world);
        d = step.decision;
        wait_ns = d.wait_ns;
        if (d.trim) {
            o.requested = 0;
            o.pressure = 0;
        }
        heapmin__auto_lock();
        state.stats.checks++;
        state.stats.deferred += d.deferred;
        state.stats.count_ns += step.count_ns;
        state.stats.count_wall_ns += trimmer.count_wall;
        state.stats.quiet_waits += d.quiet_wait;
        state.stats.credit_ns =
            heapmin__policy_credit(&policy, heapmin__now_ns());
        state.stats.next_release = d.trim ? -1 : d.gain;
        state.stats.next_predicted_ns = d.trim ? -1 : d.predicted_ns;
        if (d.trim) {
            state.stats.trims++;
            state.stats.released +=
                trimmer.report.released > 0 ? trimmer.report.released : 0;
            state.stats.trim_ns += step.trim_wall_ns;
            state.stats.trim_cpu_ns += step.trim_ns;
            state.stats.last_predicted_ns = d.predicted_ns;
            state.stats.last_reason = d.trim;
            state.stats.last_released = trimmer.report.released;
            state.stats.last_elapsed_ns = trimmer.report.elapsed_ns;
        }
        heapmin__auto_unlock();
        if (d.trim && state.config.on_trim != NULL)
            state.config.on_trim(&trimmer.report, state.config.arg);
    }
}

/*
 * Starts the trimmer: the program's own (guest NULL: detection and the
 * pressure sources here, in the caller) or a guest's (guest.h: both on the
 * thread, after the delay).
 */
static int start(const struct heapmin_auto_config *config,
                 const struct heapmin__guest *guest, int delay_ms,
                 int keep_stats)
{
    struct heapmin_auto_config c;
    int err = validate(config, &c);

    if (err == 0 && guest == NULL)
        err = heapmin__backend()->unable; /* ENOSYS, ENOTSUP: nothing to trim */
    heapmin__auto_lock();
    if (err == 0 && state.running)
        err = EALREADY;
    if (err == 0) {
        if (!keep_stats) {
            memset(&state.stats, 0, sizeof state.stats);
            state.stats.size = sizeof state.stats;
            state.stats.last_released = -1;
            state.stats.last_predicted_ns = -1;
            state.stats.next_release = -1;
            state.stats.next_predicted_ns = -1;
        }
        state.stats.interval_ms = c.interval_ms;
        state.stats.cpu_budget = c.cpu_budget;
        state.stats.min_release = c.min_release;
        state.stats.max_stall_ms = c.max_stall_ms;
        state.config = c;
        state.stopping = 0;
        state.guest = guest;
        state.delay_ns = (heapmin_int64)delay_ms * 1000000;
        err = guest != NULL
                  ? heapmin__waiter_open(0, NULL, 0, forked)
                  : heapmin__waiter_open(!(c.flags & HEAPMIN_AUTO_NO_PRESSURE),
                                         state.stats.pressure,
                                         sizeof state.stats.pressure, forked);
    }
    if (err == 0) {
        err = heapmin__thread_start(run);
        if (err != 0)
            heapmin__waiter_close();
    }
    if (err == 0) {
        state.running = 1;
        state.stats.running = 1;
        HEAPMIN__STORE(accepting, 1);
    }
    heapmin__auto_unlock();
    return err;
}

int heapmin_auto_start(const struct heapmin_auto_config *config)
{
    int err = start(config, NULL, 0, 0);

    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

int heapmin__auto_start_guest(const struct heapmin_auto_config *config,
                              const struct heapmin__guest *guest, int delay_ms,
                              int keep_stats)
{
    return guest != NULL && guest->begin != NULL && delay_ms >= 0
               ? start(config, guest, delay_ms, keep_stats)
               : EINVAL;
}

int heapmin_auto_stop(void)
{
    int err = 0;

    if (on_trimmer) {
        errno = EDEADLK;
        return -1;
    }
    heapmin__auto_lock();
    if (!state.running || state.stopping)
        err = ESRCH;
    else
        state.stopping = 1;
    heapmin__auto_unlock();
    if (err != 0) {
        errno = err;
        return -1;
    }
    HEAPMIN__STORE(accepting, 0);
    heapmin__waiter_wake(HEAPMIN__WAKE_CONTROL | HEAPMIN__WAKE_STOP);
    heapmin__thread_join();
    heapmin__auto_lock();
    heapmin__waiter_close();
    state.running = 0;
    state.stopping = 0;
    state.stats.running = 0;
    heapmin__auto_unlock();
    return 0;
}

int heapmin_auto_request(void)
{
    /* No lock: this runs in signal handlers. */
    int err = HEAPMIN__LOAD(accepting)
                  ? heapmin__waiter_wake(HEAPMIN__WAKE_REQUEST)
                  : ESRCH;

    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

int heapmin_auto_suspend(void)
{
    heapmin__auto_lock();
    state.suspended++;
    heapmin__auto_unlock();
    return 0;
}

int heapmin_auto_resume(void)
{
    int err = 0, wake;

    heapmin__auto_lock();
    if (state.suspended == 0)
        err = EINVAL;
    else
        state.suspended--;
    wake = state.running && state.suspended == 0;
    heapmin__auto_unlock();
    if (err != 0) {
        errno = err;
        return -1;
    }
    /* A trim wanted while suspended may run now. */
    if (wake)
        heapmin__waiter_wake(HEAPMIN__WAKE_CONTROL);
    return 0;
}

int heapmin_auto_stats(struct heapmin_auto_stats *stats)
{
    size_t size;

    if (stats == NULL || stats->size < STATS_V1_SIZE) {
        errno = EINVAL;
        return -1;
    }
    size = stats->size < sizeof state.stats ? stats->size : sizeof state.stats;
    heapmin__auto_lock();
    memcpy(stats, &state.stats, size);
    heapmin__auto_unlock();
    stats->size = size;
    return 0;
}
