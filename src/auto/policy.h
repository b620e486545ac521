/*
 * When an automatic trim pays: plain functions of numbers, with no threads
 * and no clock, so that tests drive them with a fake clock (tests/policy.c)
 * and the thread that sleeps and wakes (auto.c) stays dumb. The rules are a
 * numbered list in policy.c, where they are implemented. Both the trimmer
 * and the tests run a check through heapmin__policy_step(), one sequence.
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

/*
 * What one check needs from the world: the trimmer's allocator and clock
 * (auto.c), or a table's row (tests/policy.c).
 */
struct heapmin__world {
    void *arg;
    /* Whether the allocator counts its free bytes (count may be called). */
    int counts;
    /* The allocator's count of free bytes; adds what reading it cost to
     * *cost (ns). */
    heapmin_int64 (*count)(void *arg, heapmin_int64 *cost);
    /* Trims; sets what it released and left resident (-1: unknown), and
     * returns what it cost (ns). */
    heapmin_int64 (*trim)(void *arg, heapmin_int64 *released,
                          heapmin_int64 *resident_after);
    /* The monotonic clock, ns. */
    heapmin_int64 (*now)(void *arg);
};

/* What one check did. */
struct heapmin__step {
    struct heapmin__decision decision;
    heapmin_int64 count_ns, trim_ns; /* what counting and trimming cost */
};

/*
 * One check, in its one order: read the count where the policy says it is
 * worth it (into o->free and o->count_cost), decide, and trim when told
 * to, counting again after the trim; then charge the budget with what it
 * all cost. o holds what the check saw besides the count.
 */
struct heapmin__step heapmin__policy_step(struct heapmin__policy *p,
                                          struct heapmin__observation *o,
                                          const struct heapmin__world *w);

#endif
