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
    heapmin_int64 interval_ns;  /* between checks while resident is still */
    heapmin_int64 active_ns;    /* between checks while it moves */
    heapmin_int64 min_release;  /* bytes */
    heapmin_int64 budget_ppb;   /* share of one CPU, in billionths */
    heapmin_int64 max_stall_ns; /* 0: growth trims never wait for quiet */
    /* The budget's bucket of CPU time (rule 1): when it would be full. */
    heapmin_int64 full_at;
    /* What it remembers. */
    heapmin_int64 baseline;       /* resident after the last trim, or -1 */
    heapmin_int64 last_resident;  /* at the previous check, or -1 */
    heapmin_int64 free_ref;       /* the count after the last trim, or -1 */
    heapmin_int64 last_free;      /* the previous count, or -1 */
    heapmin_int64 count_cost;     /* what the last count cost, ns */
    heapmin_int64 count_resident; /* resident size then, or -1 */
    heapmin_int64 count_next;     /* no count before (rule 2) */
    heapmin_int64 count_at;       /* the last count's time */
    int count_gap;                /* the interval's multiplier, 1..64 */
    int busy_checks;              /* checks in a row that saw a busy program */
    int moved;                    /* the previous check saw resident move */
    heapmin_int64 idle_since;     /* the program has been idle since, or -1 */
    heapmin_int64 last_now;       /* the previous check's time, or -1 */
    int backoff;                  /* min_release multiplier, 1..64 */
    /* What trims cost, learned (rule 5). */
    heapmin_int64 ns_per_mib;   /* CPU time per MiB released */
    heapmin_int64 wall_per_cpu; /* a trim's wall over CPU time, x 1024 */
    heapmin_int64 walk;  /* the part of a trim's cost that releases nothing */
    /* The last check's view of a trim now, kept between counts. */
    heapmin_int64 gain, predicted_ns;
    int counts; /* the allocator counts its free bytes */
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
    /* They used under a twentieth of one (0 where that is unknown). */
    int idle;
    int requested; /* heapmin_auto_request() is pending */
    int pressure;  /* memory pressure is pending */
    int suspended;
};

struct heapmin__decision {
    int trim;              /* 0, or the enum heapmin_auto_reason to trim for */
    int deferred;          /* a trim was wanted; the budget put it off */
    int quiet_wait;        /* a growth trim waits for a quiet program */
    heapmin_int64 wait_ns; /* until the next check */
    /* What a trim now would release and take (wall time, ns), as of the
     * last check that could tell; -1 where nothing is known. */
    heapmin_int64 gain, predicted_ns;
};

/*
 * Fills p from a validated configuration (every field set: the caller has
 * applied the defaults), whether the allocator's trim holds its lock for
 * the whole call (then max_stall_ms applies), the resident size and the
 * allocator's count (-1: none) at the start.
 */
void heapmin__policy_init(struct heapmin__policy *p,
                          const struct heapmin_auto_config *config,
                          int holds_lock, heapmin_int64 resident,
                          heapmin_int64 free);

/* What is left in the budget's bucket at now: CPU ns, below 0 while
 * closed. */
heapmin_int64 heapmin__policy_credit(const struct heapmin__policy *p,
                                     heapmin_int64 now);

/* Whether a check that saw o (all but the count) should read the count. */
int heapmin__policy_count_now(const struct heapmin__policy *p,
                              const struct heapmin__observation *o);

/* One check: what to do now, and when to look again. */
struct heapmin__decision
heapmin__policy_check(struct heapmin__policy *p,
                      const struct heapmin__observation *o);

/* What a check spent (cost ns of CPU time, ending at end). */
void heapmin__policy_spent(struct heapmin__policy *p, heapmin_int64 end,
                           heapmin_int64 cost);

/*
 * After a trim for reason that ended at end: cost is what the check spent
 * (count and trim), trim_cpu and trim_wall what the trim alone took,
 * released what it released (-1: unknown), and resident_after and
 * free_after what it left (-1: unknown).
 */
void heapmin__policy_trimmed(struct heapmin__policy *p, int reason,
                             heapmin_int64 end, heapmin_int64 cost,
                             heapmin_int64 trim_cpu, heapmin_int64 trim_wall,
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
     * *cost (CPU time, ns). */
    heapmin_int64 (*count)(void *arg, heapmin_int64 *cost);
    /* Trims; sets what it released and left resident (-1: unknown) and
     * its wall time, and returns its CPU time (ns). */
    heapmin_int64 (*trim)(void *arg, heapmin_int64 *released,
                          heapmin_int64 *resident_after, heapmin_int64 *wall);
    /* The monotonic clock, ns. */
    heapmin_int64 (*now)(void *arg);
    /* How many arenas a trim walks one lock at a time (NULL: one). Asked
     * only when a long trim is considered: it may open a file. */
    int (*arenas)(void *arg);
};

/* What one check did. */
struct heapmin__step {
    struct heapmin__decision decision;
    heapmin_int64 count_ns, trim_ns; /* CPU time counting and trimming */
    heapmin_int64 trim_wall_ns;      /* the trim's wall time */
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
