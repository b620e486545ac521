/*
 * When an automatic trim pays. At each check, in this order:
 *
 *  1. One budget pays for everything expensive: a bucket of CPU time that
 *     fills at cpu_budget (ns per ns) and holds cpu_budget x 60 s, full at
 *     the start. What counts and trims cost (the trimmer thread's CPU time)
 *     comes out of it; a check is "open" while it is not empty. A program
 *     that bursts every few seconds gets a trim after each burst, and over
 *     any stretch of time T counting and trimming take at most
 *     cpu_budget x (T + 60 s), plus the one check that emptied it.
 *  2. Count only when it is worth it (heapmin__policy_count_now): at an
 *     open check, not while resident size grows (a program that fills its
 *     heap has nothing to trim), where a count costs over 100 us (the last
 *     one's cost scaled by resident growth: glibc walks its free chunks)
 *     only when the program is not busy, or has been busy for three checks
 *     in a row and was last counted an interval ago, and, in an idle
 *     program with a still heap, not before count_next: a trim, or a count
 *     that saw nothing new, doubles the wait for the next (2, 4, .. 64
 *     intervals); anything else (resident size moved, the program ran, the
 *     count moved) resets it. At rest nothing is paid twice.
 *  3. Suspended: no trim. Requests and pressure stay pending.
 *  4. A pending request, then memory pressure, wants a trim. Otherwise a
 *     trim is wanted when it should release at least min_release x
 *     backoff (expected_gain):
 *     a. with a count: what it counts now less what it counted just after
 *        the last trim, less resident growth since (glibc keeps released
 *        chunks counted), once the count has settled (it moved by less
 *        than min_release, or the program is quiet: a trim in the middle
 *        of its frees leaves the rest to a later one);
 *     b. without one: resident growth since the last trim, once resident
 *        size has stopped growing.
 *  5. What the trim will cost is predicted: its walk (the last count's
 *     cost, scaled as in rule 2: glibc's trim walks the same chunks) plus
 *     the gain at the CPU time per MiB that earlier trims took (0.25 ms
 *     before the first), times their wall-to-CPU ratio.
 *  6. A wanted trim waits for an open check ("deferred" until then).
 *  7. Where the allocator's trim holds its lock for the whole call (glibc),
 *     a growth trim that would stall a thread for longer than max_stall_ms
 *     waits for a quiet window: the program's threads idle (under a
 *     twentieth of one CPU) for 200 ms, when the threads it would stall
 *     have nothing to do. A thread waits only for its own arena's part:
 *     the prediction divided by the arenas (glibc: one per thread, up to
 *     arena_max), counted only when a trim would otherwise wait. Requests
 *     and pressure do not wait.
 *  8. After a growth trim that released less than half of what was
 *     expected, backoff doubles (up to 64); one that released enough
 *     resets it.
 *  9. Checks come every interval while resident size is still, every
 *     100 ms (at most the interval) while it or the count moves and at the
 *     check after, while the program is busy, or while a trim waits for an
 *     idle program to be quiet long enough, and at the open time when a
 *     trim waits for the budget.
 */
#include "policy.h"

/* Resident size that moves by less than this is still (page-cache noise). */
#define STILL ((heapmin_int64)1 << 20)
#define MIB ((heapmin_int64)1 << 20)
#define ACTIVE_NS (100 * HEAPMIN__MS)
#define MAX_BACKOFF 64
/* A count costlier than this is rationed in a busy program (rule 2). */
#define CHEAP_COUNT_NS ((heapmin_int64)100000)
#define BUSY_CHECKS 3
#define MAX_COUNT_GAP 64
/* The bucket holds this much of the budget (rule 1). */
#define BUCKET_NS (60000 * HEAPMIN__MS)
/* Before the first trim: glibc, 16 B-64 KiB blocks, an idle machine. */
#define FIRST_NS_PER_MIB ((heapmin_int64)250000)
#define QUIET_NS (200 * HEAPMIN__MS)
#define BILLION ((heapmin_int64)1000000000)
/* wall_per_cpu's unit: a ratio of 1. */
#define RATIO_ONE ((heapmin_int64)1024)
#define PAGE ((heapmin_int64)4096)

/*
 * a x b / c, truncated, for a, b >= 0 and c > 0, in integers: the same on
 * every FPU (x87 keeps excess precision that SSE does not). Exact while
 * b x c and the result fit in 63 bits: the callers' b and c are billionths,
 * pages of a heap below 8 TiB, MiB or the wall/CPU ratio's unit.
 */
static heapmin_int64 mul_div(heapmin_int64 a, heapmin_int64 b, heapmin_int64 c)
{
    return a / c * b + a % c * b / c;
}

/* How far a cost pushes the bucket's full time: ns / budget. */
static heapmin_int64 over_budget(const struct heapmin__policy *p,
                                 heapmin_int64 ns)
{
    return mul_div(ns, BILLION, p->budget_ppb);
}

void heapmin__policy_init(struct heapmin__policy *p,
                          const struct heapmin_auto_config *config,
                          int holds_lock, heapmin_int64 resident,
                          heapmin_int64 free)
{
    p->interval_ns = (heapmin_int64)config->interval_ms * HEAPMIN__MS;
    p->active_ns = p->interval_ns < ACTIVE_NS ? p->interval_ns : ACTIVE_NS;
    p->min_release = config->min_release;
    /* The one floating-point step: rounded, so every FPU agrees. */
    p->budget_ppb = (heapmin_int64)(config->cpu_budget * 1e9 + 0.5);
    if (p->budget_ppb < 1)
        p->budget_ppb = 1;
    p->max_stall_ns =
        holds_lock ? (heapmin_int64)config->max_stall_ms * HEAPMIN__MS : 0;
    p->full_at = 0; /* full from the start: clocks begin at or above 0 */
    p->baseline = resident;
    p->last_resident = resident;
    /* No trim has run yet: everything counted free at the start may be
     * resident (a program that freed before its trimmer started, as a
     * prefork worker may, would otherwise never be trimmed). */
    p->free_ref = -1;
    p->last_free = free;
    p->counts = free >= 0;
    p->gain = -1;
    p->predicted_ns = -1;
    p->count_cost = 0;
    p->count_resident = -1;
    p->count_next = 0;
    p->count_at = 0;
    p->count_gap = 1;
    p->busy_checks = 0;
    p->moved = 0;
    p->idle_since = -1;
    p->last_now = -1;
    p->backoff = 1;
    p->ns_per_mib = FIRST_NS_PER_MIB;
    p->wall_per_cpu = RATIO_ONE;
    p->walk = 0;
}

/* The bucket holds BUCKET_NS of budget when full_at <= now; it is empty
 * when full_at is BUCKET_NS ahead. */
static int open_at(const struct heapmin__policy *p, heapmin_int64 now)
{
    return p->full_at - now <= BUCKET_NS;
}

heapmin_int64 heapmin__policy_credit(const struct heapmin__policy *p,
                                     heapmin_int64 now)
{
    heapmin_int64 ahead = p->full_at > now ? p->full_at - now : 0;

    return mul_div(BUCKET_NS - ahead, p->budget_ppb, BILLION);
}

/* The last count's cost, scaled by resident growth since (glibc walks),
 * in pages: a heap of up to 8 TiB keeps the product exact. */
static heapmin_int64 walk_cost(const struct heapmin__policy *p,
                               heapmin_int64 resident)
{
    if (p->count_resident >= PAGE && resident > p->count_resident)
        return mul_div(p->count_cost, resident / PAGE,
                       p->count_resident / PAGE);
    return p->count_cost;
}

int heapmin__policy_count_now(const struct heapmin__policy *p,
                              const struct heapmin__observation *o)
{
    heapmin_int64 delta = o->resident >= 0 && p->last_resident >= 0
                              ? o->resident - p->last_resident
                              : 0;
    int worth = !o->busy || walk_cost(p, o->resident) < CHEAP_COUNT_NS ||
                (p->busy_checks >= BUSY_CHECKS &&
                 o->now - p->count_at >= p->interval_ns);
    /* The wait for the next count holds while nothing happens. */
    int rested = o->idle && delta <= STILL && delta >= -STILL;

    return open_at(p, o->now) && delta <= STILL && worth &&
           (o->now >= p->count_next || !rested);
}

/*
 * What a trim would release, as far as this check can tell; 0 while the
 * count or resident size still moves, -1 where nothing is known.
 */
static heapmin_int64 expected_gain(const struct heapmin__policy *p,
                                   const struct heapmin__observation *o,
                                   int growing, int settled)
{
    if (o->free >= 0) {
        heapmin_int64 ref = p->free_ref >= 0 ? p->free_ref : 0;

        /*
         * glibc's count keeps released chunks counted. Released memory the
         * program touched again is resident again: what resident size grew
         * since the trim comes off the reference, or a heap refilled from
         * released chunks and freed again would look like nothing new.
         */
        if (o->resident > p->baseline && p->baseline >= 0)
            ref -= o->resident - p->baseline;
        ref = ref > 0 ? ref : 0;
        return !settled ? 0 : o->free > ref ? o->free - ref : 0;
    }
    /* An allocator that counts is judged by its count alone. */
    if (p->counts || o->resident < 0 || p->baseline < 0)
        return -1;
    return growing || o->resident < p->baseline ? 0 : o->resident - p->baseline;
}

/* Rule 2's cadence of counts, after a check that read one (or not). */
static void pace_counts(struct heapmin__policy *p,
                        const struct heapmin__observation *o, int still,
                        heapmin_int64 moved)
{
    int nothing_new =
        still && o->idle && moved < p->min_release && moved > -p->min_release;

    if (o->free >= 0 && nothing_new) {
        if (p->count_gap < MAX_COUNT_GAP)
            p->count_gap *= 2;
        p->count_next = o->now + p->interval_ns * p->count_gap;
    } else if (!still || !o->idle || o->free >= 0) {
        p->count_gap = 1;
        p->count_next = 0;
    }
}

/* Whether a trim predicted to take predicted ns, walking that many arenas
 * one lock at a time, would stall a thread for longer than max_stall. */
static int stalls(const struct heapmin__policy *p, heapmin_int64 predicted,
                  int arenas)
{
    return p->max_stall_ns > 0 && predicted / arenas > p->max_stall_ns;
}

/* Whether the program has been idle long enough for a long trim. */
static int quiet(struct heapmin__policy *p,
                 const struct heapmin__observation *o)
{
    /* An idle check saw the program idle since the previous check. */
    if (!o->idle)
        p->idle_since = -1;
    else if (p->idle_since < 0)
        p->idle_since = p->last_now >= 0 ? p->last_now : o->now;
    p->last_now = o->now;
    return p->idle_since >= 0 && o->now - p->idle_since >= QUIET_NS;
}

struct heapmin__decision
heapmin__policy_check(struct heapmin__policy *p,
                      const struct heapmin__observation *o)
{
    struct heapmin__decision d = {0, 0, 0, 0, -1, -1};
    heapmin_int64 delta = 0, moved = 0, gain;
    int wanted = 0, settled = 1, is_quiet = quiet(p, o), still;

    if (o->resident >= 0 && p->last_resident >= 0)
        delta = o->resident - p->last_resident;
    still = delta <= STILL && delta >= -STILL;
    p->last_resident = o->resident;
    p->busy_checks = o->busy ? p->busy_checks + 1 : 0;
    if (o->free >= 0) {
        p->count_at = o->now;
        p->count_cost = o->count_cost;
        p->count_resident = o->resident;
        moved = p->last_free >= 0 ? o->free - p->last_free : 0;
        settled =
            !o->busy || (moved < p->min_release && moved > -p->min_release);
        p->last_free = o->free;
    }
    pace_counts(p, o, still, moved);
    /* Between counts the last one's verdict holds while resident size is
     * still (rule 2 skips counts that would say the same). */
    if (!still) {
        p->gain = -1;
        p->predicted_ns = -1;
    }
    /* Look again soon while memory moves, and once more after, to see it
     * settle (the count a busy program put off), and while the program is
     * busy (a count still moving means it is): glibc's frees move no
     * resident size, the end of a burst is seen when the program stops. */
    d.wait_ns = !still || p->moved || o->busy ? p->active_ns : p->interval_ns;
    p->moved = !still;

    gain = expected_gain(p, o, delta > STILL, settled);
    if (gain < 0 && p->counts && o->free < 0)
        gain = p->gain;
    p->walk = o->free >= 0 ? o->count_cost : walk_cost(p, o->resident);
    if (gain >= 0) {
        p->gain = gain;
        p->predicted_ns = mul_div(p->walk + mul_div(gain, p->ns_per_mib, MIB),
                                  p->wall_per_cpu, RATIO_ONE);
    }
    d.gain = p->gain;
    d.predicted_ns = p->predicted_ns;
    if (o->suspended)
        return d;
    if (o->requested)
        wanted = HEAPMIN_AUTO_REQUEST;
    else if (o->pressure)
        wanted = HEAPMIN_AUTO_PRESSURE;
    else if (gain >= p->min_release * p->backoff)
        wanted = HEAPMIN_AUTO_GROWTH;
    if (!wanted)
        return d;
    if (!open_at(p, o->now)) {
        heapmin_int64 open = p->full_at - BUCKET_NS - o->now;

        d.deferred = 1;
        if (open < d.wait_ns)
            d.wait_ns = open;
        return d;
    }
    /* Rule 7, as if in one arena: heapmin__policy_step() asks how many. */
    d.quiet_wait = wanted == HEAPMIN_AUTO_GROWTH && !is_quiet &&
                   stalls(p, d.predicted_ns, 1);
    if (!d.quiet_wait)
        d.trim = wanted;
    return d;
}

void heapmin__policy_spent(struct heapmin__policy *p, heapmin_int64 end,
                           heapmin_int64 cost)
{
    p->full_at = (p->full_at > end ? p->full_at : end) + over_budget(p, cost);
}

/* Rule 5: what this trim teaches about the next. Halves: recent weighs. */
static void learn(struct heapmin__policy *p, heapmin_int64 trim_cpu,
                  heapmin_int64 trim_wall, heapmin_int64 released)
{
    if (released >= MIB && trim_cpu > 0) {
        heapmin_int64 paging = trim_cpu > p->walk ? trim_cpu - p->walk : 0;

        p->ns_per_mib =
            (p->ns_per_mib + mul_div(paging, MIB / PAGE, released / PAGE)) / 2;
    }
    /* Below a tenth of a millisecond the two clocks' grain decides. */
    if (trim_cpu >= HEAPMIN__MS / 10 && trim_wall > 0) {
        heapmin_int64 r = mul_div(trim_wall, RATIO_ONE, trim_cpu);

        r = r < RATIO_ONE ? RATIO_ONE : r > 64 * RATIO_ONE ? 64 * RATIO_ONE : r;
        p->wall_per_cpu = (p->wall_per_cpu + r) / 2;
    }
}

void heapmin__policy_trimmed(struct heapmin__policy *p, int reason,
                             heapmin_int64 end, heapmin_int64 cost,
                             heapmin_int64 trim_cpu, heapmin_int64 trim_wall,
                             heapmin_int64 released,
                             heapmin_int64 resident_after,
                             heapmin_int64 free_after)
{
    heapmin_int64 expected = p->min_release * p->backoff;

    heapmin__policy_spent(p, end, cost);
    learn(p, trim_cpu, trim_wall, released);
    p->gain = -1; /* known again at the next count */
    /* The count before the trim saw what there was: in an idle program the
     * next one waits two intervals (rule 2). */
    p->count_gap = 2;
    p->count_next = end + 2 * p->interval_ns;
    p->predicted_ns = -1;
    p->baseline = resident_after;
    p->last_resident = resident_after;
    p->free_ref = free_after;
    if (free_after >= 0)
        p->last_free = free_after;
    if (reason != HEAPMIN_AUTO_GROWTH || released < 0)
        return;
    if (released < expected / 2) {
        if (p->backoff < MAX_BACKOFF)
            p->backoff *= 2;
    } else {
        p->backoff = 1;
    }
}

struct heapmin__step heapmin__policy_step(struct heapmin__policy *p,
                                          struct heapmin__observation *o,
                                          const struct heapmin__world *w)
{
    struct heapmin__step s = {{0, 0, 0, 0, -1, -1}, 0, 0, 0};
    heapmin_int64 released = -1, after = -1, free_after = -1, cost;

    o->free = w->counts && heapmin__policy_count_now(p, o)
                  ? w->count(w->arg, &s.count_ns)
                  : -1;
    o->count_cost = s.count_ns;
    s.decision = heapmin__policy_check(p, o);
    /* Counted only now: a thread waits only for its own arena's part. */
    if (s.decision.quiet_wait && w->arenas != NULL &&
        !stalls(p, s.decision.predicted_ns, w->arenas(w->arg))) {
        s.decision.quiet_wait = 0;
        s.decision.trim = HEAPMIN_AUTO_GROWTH;
    }
    /* An idle program may be quiet soon; a busy one is seen at the usual
     * cadence. */
    if (s.decision.quiet_wait && o->idle)
        s.decision.wait_ns = p->active_ns;
    if (s.decision.trim) {
        s.trim_ns = w->trim(w->arg, &released, &after, &s.trim_wall_ns);
        if (w->counts)
            free_after = w->count(w->arg, &s.count_ns);
    }
    cost = s.count_ns + s.trim_ns;
    if (s.decision.trim)
        heapmin__policy_trimmed(p, s.decision.trim, w->now(w->arg), cost,
                                s.trim_ns, s.trim_wall_ns, released, after,
                                free_after);
    else if (cost > 0)
        heapmin__policy_spent(p, w->now(w->arg), cost);
    return s;
}
