/*
 * When an automatic trim pays: plain functions of numbers, with no threads
 * and no clock, so that tests drive them with a fake clock (tests/policy.c)
 * and the thread that sleeps and wakes (auto.c) stays dumb.
 *
 * One budget paces everything expensive: after a check has spent c ns on
 * the allocator's count and its trim, nothing expensive runs for
 * c / cpu_budget. A check at or after that time is "open": it may trim, and
 * read the count unless resident size is growing (a program that fills its
 * heap has nothing to trim; a count bought then would close the window just
 * before its frees), and, where a count would cost over 100 us (the last
 * one's cost, scaled by how much resident size grew since: glibc's walks
 * every free chunk), unless the program is busy (it may be freeing: the count
 * would not be trusted, and would close the window) for fewer than three checks
 * in a row. The rules, in the order applied at each check:
 *  1. Suspended: no trim. Requests and pressure stay pending.
 *  2. A pending request or memory pressure wants a trim.
 *  3. Otherwise a trim is wanted when it is expected to release at least
 *     min_release x backoff bytes:
 *     - from the allocator's own count of free bytes, read at open checks:
 *       what it counts now minus what it counted just after the last trim
 *       (before the first trim, all it counts: nothing was released yet)
 *       (jemalloc's dirty pages and tcmalloc's free spans fall to 0 when
 *       trimmed; glibc's free chunks stay counted, released or not, so only
 *       what was freed since counts, less what resident size grew since:
 *       released chunks that were used again), once the count has settled: it
 * moved by less than min_release since the previous reading, or the program has
 * gone quiet (its threads used under half a CPU since the last check: it is not
 * in a loop of frees). A program still freeing would leave the rest of its
 * frees to a trim the budget holds off for long (trimming glibc is expensive);
 *     - without a count at this check, from the growth of resident size
 *       since the last trim, once it has stopped growing (trimming memory
 *       the program is still filling is pure loss).
 *  4. A wanted trim waits for an open check: it is "deferred" until then.
 *  5. A growth trim that released less than half of what was expected
 *     doubles backoff (up to 64); one that released enough resets it.
 * Checks come every interval while resident size is still, every 100 ms
 * (at most the interval) while it moves, and at the open time when a trim
 * waits for it.
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
    heapmin_int64 baseline;       /* resident after the last trim, or -1 */
    heapmin_int64 last_resident;  /* at the previous check, or -1 */
    heapmin_int64 free_ref;       /* the count after the last trim, or -1 */
    heapmin_int64 last_free;      /* the previous count, or -1 */
    heapmin_int64 count_cost;     /* what the last count cost, ns */
    heapmin_int64 count_resident; /* resident size then, or -1 */
    int busy_checks;              /* checks in a row that saw a busy program */
    heapmin_int64 not_before;     /* the next open check */
    int backoff;                  /* min_release multiplier, 1..64 */
};

/* What one check saw. Sizes in bytes, -1 where unknown; times in ns. */
struct heapmin__observation {
    heapmin_int64 now;
    heapmin_int64 resident;
    heapmin_int64 free;       /* the allocator's count, if read; else -1 */
    heapmin_int64 count_cost; /* what reading it cost, ns */
    /* The program's threads used over half a CPU since the last check
     * (1 where that is unknown). */
    int busy;
    int requested; /* heapmin_auto_request() is pending */
    int pressure;  /* memory pressure is pending */
    int suspended;
};

struct heapmin__decision {
    int trim;              /* 0, or the enum heapmin_auto_reason to trim for */
    int deferred;          /* a trim was wanted; the budget put it off */
    heapmin_int64 wait_ns; /* until the next check */
};

/*
 * Fills p from a validated configuration (every field set: the caller has
 * applied the defaults), the resident size and the allocator's count
 * (-1: none) at the start.
 */
void heapmin__policy_init(struct heapmin__policy *p,
                          const struct heapmin_auto_config *config,
                          heapmin_int64 resident, heapmin_int64 free);

/* Whether a check at now is open: may trim. */
int heapmin__policy_open(const struct heapmin__policy *p, heapmin_int64 now);

/*
 * Whether a check at now that saw resident bytes and a busy (or quiet)
 * program should read the count.
 */
int heapmin__policy_count_now(const struct heapmin__policy *p,
                              heapmin_int64 now, heapmin_int64 resident,
                              int busy);

/* One check: what to do now, and when to look again. */
struct heapmin__decision
heapmin__policy_check(struct heapmin__policy *p,
                      const struct heapmin__observation *o);

/*
 * What an open check spent (cost ns, ending at end) without trimming: the
 * next open check waits for it.
 */
void heapmin__policy_spent(struct heapmin__policy *p, heapmin_int64 end,
                           heapmin_int64 cost);

/*
 * After a trim for reason that ended at end: cost is what the check spent
 * (count and trim), released what the trim released (-1: unknown), and
 * resident_after and free_after what it left (-1: unknown).
 */
void heapmin__policy_trimmed(struct heapmin__policy *p, int reason,
                             heapmin_int64 end, heapmin_int64 cost,
                             heapmin_int64 released,
                             heapmin_int64 resident_after,
                             heapmin_int64 free_after);

#endif
