/*
 * When an automatic trim pays: plain functions of numbers, with no threads
 * and no clock, so that tests drive them with a fake clock (tests/policy.c)
 * and the thread that sleeps and wakes (auto.c) stays dumb.
 *
 * The rules, in the order they are applied at each check:
 *  1. Suspended: no trim. Requests and pressure stay pending.
 *  2. A pending request or memory pressure wants a trim.
 *  3. Otherwise a trim is wanted when it is expected to release at least
 *     min_release x backoff bytes: the allocator's own count of free
 *     resident bytes where it has a cheap one (jemalloc, tcmalloc), else the
 *     growth of resident size since the last trim, once it has stopped
 *     growing (trimming memory the program is still filling is pure loss).
 *  4. The CPU budget gates every wanted trim: after a trim that took t, the
 *     next may not start for t / cpu_budget. A wanted trim that must wait
 *     is deferred, and the next check comes when the budget allows.
 *  5. A growth trim that released less than half of what was expected
 *     doubles backoff (up to 64); one that released enough resets it.
 * Checks come every interval while resident size is still, and every
 * 100 ms (at most the interval) while it moves.
 */
#ifndef HEAPMIN_AUTO_POLICY_H
#define HEAPMIN_AUTO_POLICY_H

#include "heapmin.h"

#define HEAPMIN__MS ((heapmin_int64)1000000)

struct heapmin__policy {
    /* From the configuration. */
    heapmin_int64 interval_ns; /* between checks while resident is still */
    heapmin_int64 active_ns;   /* between checks while it moves */
    heapmin_int64 min_release; /* bytes */
    double budget;             /* share of one CPU */
    /* What it remembers. */
    heapmin_int64 baseline;      /* resident after the last trim, or -1 */
    heapmin_int64 last_resident; /* at the previous check, or -1 */
    heapmin_int64 not_before;    /* no trim starts earlier (the budget) */
    int backoff;                 /* min_release multiplier, 1..64 */
};

/* What one check saw. Sizes in bytes, -1 where unknown; times in ns. */
struct heapmin__observation {
    heapmin_int64 now;
    heapmin_int64 resident;
    heapmin_int64 releasable; /* the allocator's own count, or -1 */
    int requested;            /* heapmin_auto_request() is pending */
    int pressure;             /* memory pressure is pending */
    int suspended;
};

struct heapmin__decision {
    int trim;              /* 0, or the enum heapmin_auto_reason to trim for */
    int deferred;          /* a trim was wanted; the budget put it off */
    heapmin_int64 wait_ns; /* until the next check */
};

/*
 * Fills p from a validated configuration (every field set: the caller has
 * applied the defaults) and the resident size at the start.
 */
void heapmin__policy_init(struct heapmin__policy *p,
                          const struct heapmin_auto_config *config,
                          heapmin_int64 resident);

/* One check: what to do now, and when to look again. */
struct heapmin__decision
heapmin__policy_check(struct heapmin__policy *p,
                      const struct heapmin__observation *o);

/*
 * After a trim for reason that ended at end and took elapsed ns, leaving
 * resident_after bytes and having released released bytes (-1: unknown).
 */
void heapmin__policy_trimmed(struct heapmin__policy *p, int reason,
                             heapmin_int64 end, heapmin_int64 elapsed,
                             heapmin_int64 released,
                             heapmin_int64 resident_after);

#endif
