/*
 * When an automatic trim pays. One budget paces everything expensive:
 * after a check has spent c ns on the allocator's count and its trim,
 * nothing expensive runs for c / cpu_budget. A check at or after that time
 * is "open". At each check, in this order:
 *
 *  1. Count only when it is worth it (heapmin__policy_count_now): at an
 *     open check, not while resident size grows (a program that fills its
 *     heap has nothing to trim), and, where a count costs over 100 us (the
 *     last one's cost scaled by resident growth: glibc walks its free
 *     chunks), only when the program is quiet or has been busy for three
 *     checks in a row.
 *  2. Suspended: no trim. Requests and pressure stay pending.
 *  3. A pending request, then memory pressure, wants a trim.
 *  4. Otherwise a trim is wanted when it should release at least
 *     min_release x backoff (expected_gain):
 *     a. with a count: what it counts now less what it counted just after
 *        the last trim, less resident growth since (glibc keeps released
 *        chunks counted), once the count has settled (it moved by less
 *        than min_release, or the program is quiet: a trim in the middle
 *        of its frees leaves the rest to a trim the budget holds off);
 *     b. without one: resident growth since the last trim, once resident
 *        size has stopped growing.
 *  5. A wanted trim waits for an open check ("deferred" until then).
 *  6. After a growth trim that released less than half of what was
 *     expected, backoff doubles (up to 64); one that released enough
 *     resets it.
 *  7. Checks come every interval while resident size is still, every
 *     100 ms (at most the interval) while it or the count moves, and at
 *     the open time when a trim waits for it.
 */
#include "policy.h"

/* Resident size that moves by less than this is still (page-cache noise). */
#define STILL ((heapmin_int64)1 << 20)
#define ACTIVE_NS (100 * HEAPMIN__MS)
#define MAX_BACKOFF 64
/* A count costlier than this waits for a quiet program (rule 1). */
#define CHEAP_COUNT_NS ((heapmin_int64)100000)
#define BUSY_CHECKS 3

void heapmin__policy_init(struct heapmin__policy *p,
                          const struct heapmin_auto_config *config,
                          heapmin_int64 resident, heapmin_int64 free)
{
    p->interval_ns = (heapmin_int64)config->interval_ms * HEAPMIN__MS;
    p->active_ns = p->interval_ns < ACTIVE_NS ? p->interval_ns : ACTIVE_NS;
    p->min_release = config->min_release;
    p->budget = config->cpu_budget;
    p->baseline = resident;
    p->last_resident = resident;
    /* No trim has run yet: everything counted free at the start may be
     * resident (a program that freed before its trimmer started, as a
     * prefork worker may, would otherwise never be trimmed). */
    p->free_ref = -1;
    p->last_free = free;
    p->count_cost = 0;
    p->count_resident = -1;
    p->busy_checks = 0;
    p->not_before = 0;
    p->backoff = 1;
}

int heapmin__policy_open(const struct heapmin__policy *p, heapmin_int64 now)
{
    return now >= p->not_before;
}

int heapmin__policy_count_now(const struct heapmin__policy *p,
                              heapmin_int64 now, heapmin_int64 resident,
                              int busy)
{
    int growing = resident >= 0 && p->last_resident >= 0 &&
                  resident - p->last_resident > STILL;
    double cost = (double)p->count_cost;
    int worth;

    /* A heap that grew costs more to count (glibc walks it). */
    if (p->count_resident > 0 && resident > p->count_resident)
        cost *= (double)resident / (double)p->count_resident;
    worth = !busy || cost < CHEAP_COUNT_NS || p->busy_checks >= BUSY_CHECKS;

    return heapmin__policy_open(p, now) && !growing && worth;
}

/*
 * What a trim would release, as far as this check can tell; 0 while the
 * count or resident size still moves.
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
        return settled ? o->free - (ref > 0 ? ref : 0) : 0;
    }
    if (o->resident < 0 || p->baseline < 0 || growing)
        return 0;
    return o->resident - p->baseline;
}

struct heapmin__decision
heapmin__policy_check(struct heapmin__policy *p,
                      const struct heapmin__observation *o)
{
    struct heapmin__decision d = {0, 0, 0};
    heapmin_int64 delta = 0, moved = 0;
    int wanted = 0, settled = 1;

    if (o->resident >= 0 && p->last_resident >= 0)
        delta = o->resident - p->last_resident;
    p->last_resident = o->resident;
    p->busy_checks = o->busy ? p->busy_checks + 1 : 0;
    if (o->free >= 0) {
        p->count_cost = o->count_cost;
        p->count_resident = o->resident;
        moved = p->last_free >= 0 ? o->free - p->last_free : 0;
        settled =
            !o->busy || (moved < p->min_release && moved > -p->min_release);
        p->last_free = o->free;
    }
    /* Look again soon while memory moves, to see it settle. */
    d.wait_ns = delta > STILL || delta < -STILL || !settled ? p->active_ns
                                                            : p->interval_ns;

    if (o->suspended)
        return d;
    if (o->requested)
        wanted = HEAPMIN_AUTO_REQUEST;
    else if (o->pressure)
        wanted = HEAPMIN_AUTO_PRESSURE;
    else if (expected_gain(p, o, delta > STILL, settled) >=
             p->min_release * p->backoff)
        wanted = HEAPMIN_AUTO_GROWTH;
    if (!wanted)
        return d;
    if (heapmin__policy_open(p, o->now)) {
        d.trim = wanted;
        return d;
    }
    d.deferred = 1;
    if (p->not_before - o->now < d.wait_ns)
        d.wait_ns = p->not_before - o->now;
    return d;
}

void heapmin__policy_spent(struct heapmin__policy *p, heapmin_int64 end,
                           heapmin_int64 cost)
{
    heapmin_int64 next = end + (heapmin_int64)((double)cost / p->budget);

    if (next > p->not_before)
        p->not_before = next;
}

void heapmin__policy_trimmed(struct heapmin__policy *p, int reason,
                             heapmin_int64 end, heapmin_int64 cost,
                             heapmin_int64 released,
                             heapmin_int64 resident_after,
                             heapmin_int64 free_after)
{
    heapmin_int64 expected = p->min_release * p->backoff;

    heapmin__policy_spent(p, end, cost);
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
    struct heapmin__step s = {{0, 0, 0}, 0, 0};
    heapmin_int64 released = -1, after = -1, free_after = -1, cost;

    o->free = w->counts && heapmin__policy_count_now(p, o->now, o->resident,
                                                      o->busy)
                  ? w->count(w->arg, &s.count_ns)
                  : -1;
    o->count_cost = s.count_ns;
    s.decision = heapmin__policy_check(p, o);
    if (s.decision.trim) {
        s.trim_ns = w->trim(w->arg, &released, &after);
        if (w->counts)
            free_after = w->count(w->arg, &s.count_ns);
    }
    cost = s.count_ns + s.trim_ns;
    if (s.decision.trim)
        heapmin__policy_trimmed(p, s.decision.trim, w->now(w->arg), cost,
                                released, after, free_after);
    else if (cost > 0)
        heapmin__policy_spent(p, w->now(w->arg), cost);
    return s;
}
