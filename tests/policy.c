/*
 * The automatic trimmer's policy (src/auto/policy.h), table-driven with a
 * fake clock. Each row is one check as auto.c makes it: the time, resident
 * size, the allocator's count of free bytes (read only if the policy asks,
 * at the cost given), what the program's threads did since the last check
 * (B busy, R running, I idle), a pending request or pressure, suspension;
 * and what the policy must answer. A row that trims feeds the trim's cost
 * and what it left back, through heapmin__policy_step as auto.c does.
 */
#include <stdio.h>

#include "check.h"
#include "policy.h"

#define MS HEAPMIN__MS
#define MIB ((heapmin_int64)1 << 20)
#define NONE (-1)

/* What the program's threads did since the last check. */
enum { B = 1, R, I };
/* Why a wanted trim did not run. */
enum { D = 1, Q }; /* deferred by the budget; waiting for a quiet program */

struct row {
    heapmin_int64 now_ms, resident_mib, free_mib, count_us;
    int activity, requested, pressure, suspended;
    /* Expected. */
    int trim, held;
    heapmin_int64 wait_ms;
    /* When it trims: how long it took (CPU) and what it left. */
    heapmin_int64 took_ms, after_mib, free_after_mib;
    /* Expected: the trim's predicted wall time in us; 0: not checked. */
    heapmin_int64 predicted_us;
};

/* What a table runs with besides its rows. */
struct table {
    const char *name;
    const struct heapmin_auto_config *config;
    int holds_lock;      /* the allocator's trim holds its lock (glibc) */
    int arenas;          /* how many it takes in turn; 0: not asked */
    double wall_per_cpu; /* a trim's wall time over its CPU time */
    heapmin_int64 start_mib, start_free_mib;
};

static heapmin_int64 bytes(heapmin_int64 mib)
{
    return mib < 0 ? -1 : mib * MIB;
}

/* The world of one row: its count, its trim, and the time it took. */
struct row_world {
    const struct row *row;
    const struct table *table;
    heapmin_int64 now; /* the check's time plus what it has spent */
    int counted;       /* the count before the trim was read */
};

static heapmin_int64 row_count(void *arg, heapmin_int64 *cost)
{
    struct row_world *w = arg;

    *cost += w->row->count_us * 1000;
    w->now += w->row->count_us * 1000;
    if (w->counted++) /* after the trim */
        return bytes(w->row->free_after_mib);
    return bytes(w->row->free_mib);
}

static heapmin_int64 row_trim(void *arg, heapmin_int64 *released,
                              heapmin_int64 *resident_after,
                              heapmin_int64 *wall)
{
    struct row_world *w = arg;

    *resident_after = bytes(w->row->after_mib);
    *released = w->row->resident_mib < 0
                    ? -1
                    : bytes(w->row->resident_mib) - *resident_after;
    *wall = (heapmin_int64)((double)(w->row->took_ms * MS) *
                            w->table->wall_per_cpu);
    w->now += *wall;
    w->counted = 1; /* a count from now on is the one after the trim */
    return w->row->took_ms * MS;
}

static heapmin_int64 row_now(void *arg)
{
    return ((struct row_world *)arg)->now;
}

static int row_arenas(void *arg)
{
    return ((struct row_world *)arg)->table->arenas;
}

static void run(const struct table *t, const struct row *rows, int n)
{
    struct heapmin__policy p;
    int i, before = failures;

    heapmin__policy_init(&p, t->config, t->holds_lock, bytes(t->start_mib),
                         bytes(t->start_free_mib));
    for (i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        struct row_world rw;
        struct heapmin__world w = {NULL, 0, row_count, row_trim, row_now, NULL};
        struct heapmin__observation o;
        struct heapmin__decision d;
        int held;

        rw.row = r;
        rw.table = t;
        rw.now = r->now_ms * MS;
        rw.counted = 0;
        w.arg = &rw;
        w.arenas = t->arenas > 0 ? row_arenas : NULL;
        /* A table without a count is an allocator that has none. */
        w.counts = t->start_free_mib >= 0;
        o.now = r->now_ms * MS;
        o.resident = bytes(r->resident_mib);
        o.requested = r->requested;
        o.pressure = r->pressure;
        o.suspended = r->suspended;
        o.busy = r->activity == B;
        o.idle = r->activity == I;
        d = heapmin__policy_step(&p, &o, &w).decision;
        held = d.deferred ? D : d.quiet_wait ? Q : 0;
        if (d.trim != r->trim || held != r->held ||
            d.wait_ns != r->wait_ms * MS ||
            (r->predicted_us != 0 &&
             d.predicted_ns / 1000 != r->predicted_us)) {
            fprintf(stderr,
                    "%s, row %d (t=%lld ms): trim %d held %d wait %lld ms "
                    "predicted %lld us; expected %d, %d, %lld ms, %lld us\n",
                    t->name, i, (long long)r->now_ms, d.trim, held,
                    (long long)(d.wait_ns / MS),
                    (long long)(d.predicted_ns / 1000), r->trim, r->held,
                    (long long)r->wait_ms, (long long)r->predicted_us);
            failures++;
        }
    }
    printf("%s - %s\n", failures > before ? "not ok" : "ok", t->name);
}

#define ROWS(r) r, (int)(sizeof r / sizeof r[0])

int main(void)
{
    /* The defaults (1 s, half a percent of a CPU: a bucket of 300 ms,
     * 8 MiB), but a max_stall of 50 ms: a trim of 300 MiB in one arena is
     * over it. */
    struct heapmin_auto_config c = {sizeof c, 1000, 0.005, 8 * MIB,
                                    0,        NULL, NULL,  50};
    const int G = HEAPMIN_AUTO_GROWTH, RQ = HEAPMIN_AUTO_REQUEST,
              P = HEAPMIN_AUTO_PRESSURE;

    /*
     * No count (mimalloc, scudo, a static binary): a peak that stops growing
     * is trimmed at the first still check; while it grows, checks come every
     * 100 ms (and once after) and nothing is trimmed. The bucket (300 ms of
     * CPU) pays a 200 ms and a 150 ms trim at once; the third waits until
     * it has refilled to above empty (t = 11.4 s), then trims.
     */
    {
        const struct table t = {
            "no count: growth, then the bucket", &c, 0, 0, 1, 10, NONE};
        static const struct row rows[] = {
            {0, 10, NONE, 0, R, 0, 0, 0, 0, 0, 1000, 0, 0, NONE, 0},
            {1000, 200, NONE, 0, R, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {1100, 400, NONE, 0, R, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {1200, 400, NONE, 0, R, 0, 0, 0, G, 0, 100, 200, 60, NONE, 0},
            {2400, 300, NONE, 0, R, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {2500, 300, NONE, 0, R, 0, 0, 0, G, 0, 100, 150, 60, NONE, 0},
            {3000, 250, NONE, 0, R, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {3100, 250, NONE, 0, R, 0, 0, 0, 0, D, 100, 0, 0, NONE, 0},
            {10900, 250, NONE, 0, R, 0, 0, 0, 0, D, 500, 0, 0, NONE, 0},
            {11400, 250, NONE, 0, R, 0, 0, 0, G, 0, 1000, 100, 60, NONE, 0},
        };
        run(&t, ROWS(rows));
    }
    /*
     * A count that a trim brings to 0 (jemalloc, tcmalloc), cheap, in a
     * busy program (checked every 100 ms): it decides once it has settled
     * (moved by less than 8 MiB since the last reading). A trim that
     * releases less than half of what was expected doubles the bar (8, 16,
     * 32 MiB), one that releases enough resets it.
     */
    {
        const struct table t = {
            "count to zero: settle, back-off", &c, 0, 0, 1, 100, 0};
        static const struct row rows[] = {
            {0, 100, 7, 0, B, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0},
            {1000, 100, 9, 0, B, 0, 0, 0, G, 0, 100, 1, 99, 0, 0},
            {2000, 99, 12, 0, B, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0},  /* moved */
            {2100, 99, 12, 0, B, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0}, /* < 16 */
            {3000, 99, 16, 0, B, 0, 0, 0, G, 0, 100, 1, 98, 0, 0},
            {4000, 98, 31, 0, B, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0},
            {4100, 98, 31, 0, B, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0},  /* < 32 */
            {5000, 98, 32, 0, B, 0, 0, 0, G, 0, 100, 1, 66, 0, 0}, /* reset */
            {6000, 66, 8, 0, B, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0},    /* moved */
            {6100, 66, 8, 0, B, 0, 0, 0, G, 0, 100, 1, 58, 0, 0},
        };
        run(&t, ROWS(rows));
    }
    /*
     * glibc's count (free chunks stay counted after a trim), 4 ms a read,
     * in a busy program: a costly count waits until the program has been
     * busy for three checks (at 500 ms it would see 45 MiB still moving)
     * and then comes at most once an interval (not at 1.2 s); it is not
     * read while resident size grows; frees still under way at a reading
     * wait for the next. The trim of 310 MiB is predicted at
     * 4 + 310 x 0.25 = 81.5 ms, over max_stall in one arena: it waits for
     * the program to be quiet; when resident size grows meanwhile, that
     * count's verdict is forgotten. Once the program's threads have been
     * idle for 200 ms (since the check at 2.7 s) it runs.
     */
    {
        const struct table t = {"glibc: busy, then quiet", &c, 1, 1, 1, 100, 5};
        static const struct row rows[] = {
            {0, 100, 5, 4000, B, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {500, 100, 50, 4000, B, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {1000, 400, 5, 4000, B, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {1100, 400, 310, 4000, B, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {1200, 400, 310, 4000, B, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 4000},
            {2200, 400, 310, 4000, B, 0, 0, 0, 0, Q, 100, 0, 0, NONE, 81500},
            {2700, 420, NONE, 4000, B, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {3200, 420, 310, 4000, I, 0, 0, 0, G, 0, 100, 80, 90, 310, 81500},
        };
        run(&t, ROWS(rows));
    }
    /*
     * glibc at rest (idle, resident still): after a trim the next count
     * waits two intervals, and each count that sees nothing new doubles
     * the wait (4 s after the one at 5.1 s); what is freed meanwhile is
     * seen at the next count, or at once when the program runs (9.1 s,
     * 10 s). A small trim (predicted 4 + 80 x 0.225 = 22 ms, under
     * max_stall) runs in a program that is running, not quiet; a request
     * runs at once.
     */
    {
        const struct table t = {"glibc at rest", &c, 1, 1, 1, 90, 310};
        static const struct row rows[] = {
            {0, 90, 310, 4000, I, 1, 0, 0, RQ, 0, 1000, 80, 90, 310, 0},
            {2000, 90, 400, 4000, I, 0, 0, 0, 0, 0, 1000, 0, 0, NONE, 0},
            {3000, 90, 400, 4000, I, 0, 0, 0, G, 0, 1000, 20, 10, 400, 26500},
            {4000, 10, 480, 4000, I, 0, 0, 0, 0, 0, 1000, 0, 0, NONE, 0},
            {5100, 10, 400, 4000, I, 0, 0, 0, 0, 0, 1000, 0, 0, NONE, 0},
            {6100, 10, 480, 4000, I, 0, 0, 0, 0, 0, 1000, 0, 0, NONE, 0},
            {8100, 10, 480, 4000, I, 0, 0, 0, 0, 0, 1000, 0, 0, NONE, 0},
            {9100, 10, 480, 4000, R, 0, 0, 0, G, 0, 1000, 20, 10, 480, 22000},
            {9200, 10, 480, 4000, R, 1, 0, 0, RQ, 0, 1000, 1, 10, 480, 0},
            /* A count in a running program resets the wait: the frees seen
             * at the next idle check are trimmed at once. */
            {10000, 10, 480, 4000, R, 0, 0, 0, 0, 0, 1000, 0, 0, NONE, 0},
            {10100, 10, 560, 4000, I, 0, 0, 0, G, 0, 1000, 20, 10, 560, 0},
        };
        run(&t, ROWS(rows));
    }
    /*
     * A count cheap at 100 MiB (50 us) is costly at 400 (its cost scales
     * with resident size: glibc walks the chunks): in a busy program it
     * then waits for three busy checks, as any costly count.
     */
    {
        const struct table t = {
            "a count's cost scales with the heap", &c, 1, 0, 1, 100, 5};
        static const struct row rows[] = {
            {0, 100, 5, 50, B, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {1000, 400, 5, 50, B, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {1100, 400, 310, 50, B, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {2100, 400, 310, 50, B, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
        };
        run(&t, ROWS(rows));
    }
    /*
     * The bench's shape under glibc: bursts of 300 MiB every 3 s, each
     * followed by an idle program (I). The frees are seen settled at the
     * first idle count; the trim (predicted over 50 ms, in one arena) waits
     * until the program has been idle for 200 ms, then runs: 84 ms of CPU
     * with the count after it, and a count of 4 ms before it (two in the
     * first burst). The bucket pays five bursts in a row;
     * the sixth finds it shut (no count is read: nothing is known to be
     * free) until it has refilled, at 29.1 s. The second burst's
     * prediction uses what the first cost: 4 + 310 x 0.24758 = 80.7498 ms
     * (in whole ns per MiB: (250000 + 76000000 / 310) / 2 = 247580).
     */
    {
        const struct table t = {
            "bursts every 3 s (glibc)", &c, 1, 0, 1, 100, 5};
#define BURST(at, us)                                                          \
    {at, 400, NONE, 4000, B, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},               \
        {at + 100, 400, 310, 4000, I, 0, 0, 0, 0, Q, 100, 0, 0, NONE, us},     \
    {                                                                          \
        at + 200, 400, 310, 4000, I, 0, 0, 0, G, 0, 1000, 80, 90, 310, us      \
    }
        static const struct row rows[] = {
            BURST(0, 81500),
            BURST(3000, 80749),
            BURST(6000, 0),
            BURST(9000, 0),
            BURST(12000, 0),
            {15000, 400, NONE, 4000, B, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {15100, 400, 310, 4000, I, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {28100, 400, 310, 4000, I, 0, 0, 0, 0, 0, 1000, 0, 0, NONE, 0},
            {29100, 400, 310, 4000, I, 0, 0, 0, G, 0, 1000, 80, 90, 310, 0},
        };
#undef BURST
        run(&t, ROWS(rows));
    }
    /*
     * The same long trim where the allocator's trim does not hold its
     * lock throughout (jemalloc, tcmalloc: max_stall does not apply), and
     * under glibc with memory pressure: both run at once in a busy
     * program. On a contended machine (wall time three times the CPU
     * time) the prediction learns the ratio: (1 + 3) / 2 = 2 after one
     * trim, so the next 160 MiB (310 counted, less the 160 MiB that
     * resident size grew since) at 0.2476 ms per MiB, 39.6 ms of CPU, is
     * predicted at 79.2 ms of wall time.
     */
    {
        const struct table t = {"no lock held: no wait", &c, 0, 0, 1, 400, 5};
        static const struct row rows[] = {
            {0, 400, 310, 4000, R, 0, 0, 0, G, 0, 1000, 80, 90, 310, 81500},
        };
        run(&t, ROWS(rows));
    }
    /*
     * glibc in a program of eight threads, each in its arena: a thread
     * waits for its arena's part of the 81.5 ms only, 10.2 ms: no wait. In
     * one arena it waits for a quiet program.
     */
    {
        const struct table t = {
            "glibc, eight arenas: no wait", &c, 1, 8, 1, 400, 5};
        static const struct row rows[] = {
            {0, 400, 310, 4000, R, 0, 0, 0, G, 0, 1000, 80, 90, 310, 81500},
        };
        run(&t, ROWS(rows));
    }
    {
        const struct table t = {
            "glibc, one arena: a wait", &c, 1, 1, 1, 400, 5};
        static const struct row rows[] = {
            {0, 400, 310, 4000, R, 0, 0, 0, 0, Q, 1000, 0, 0, NONE, 81500},
            /* Idle (a check come early, as after a resume), not yet for
             * 200 ms: looked at again in 100 ms, then trimmed. */
            {100, 400, 310, 4000, I, 0, 0, 0, 0, Q, 100, 0, 0, NONE, 81500},
            {200, 400, 310, 4000, I, 0, 0, 0, G, 0, 1000, 80, 90, 310, 81500},
        };
        run(&t, ROWS(rows));
    }
    {
        const struct table t = {
            "glibc under pressure, contended", &c, 1, 0, 3, 400, 5};
        static const struct row rows[] = {
            {0, 400, 310, 4000, R, 0, 1, 0, P, 0, 1000, 80, 90, 310, 81500},
            {1000, 250, 310, 4000, B, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {1100, 250, 310, 0, I, 0, 0, 0, 0, Q, 100, 0, 0, NONE, 79225},
        };
        run(&t, ROWS(rows));
    }
    /*
     * A trim whose wall time is 100 times its CPU time (a starved thread):
     * the ratio learned is held to 64, (1 + 64) / 2 = 32.5 after one trim,
     * so the next 160 MiB at 0.24758 ms per MiB, 39.61 ms of CPU, is
     * predicted at 1287.4 ms of wall time.
     */
    {
        const struct table t = {
            "wall time far above CPU time", &c, 0, 0, 100, 400, 5};
        static const struct row rows[] = {
            {0, 400, 310, 4000, R, 0, 0, 0, G, 0, 1000, 80, 90, 310, 81500},
            {1000, 250, 310, 4000, B, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {1100, 250, 310, 0, I, 0, 0, 0, G, 0, 100, 40, 90, 310, 1287416},
        };
        run(&t, ROWS(rows));
    }
    /*
     * Waves under glibc: after a trim the count stays at 230 MiB (released
     * chunks stay counted); the next wave refills from them (resident grows
     * by 190 MiB, no count is read while it grows) and frees again, so the
     * count is back at 230. What resident size grew comes off the reference:
     * a gain of 190 MiB, trimmed. (The quiet rule is tested above.)
     */
    {
        const struct table t = {
            "released chunks used again (waves)", &c, 0, 0, 1, 300, 0};
        static const struct row rows[] = {
            {0, 300, 230, 0, R, 0, 0, 0, G, 0, 1000, 1, 60, 230, 0},
            {8000, 150, 230, 0, R, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {8100, 250, 230, 0, R, 0, 0, 0, 0, 0, 100, 0, 0, NONE, 0},
            {8200, 250, 230, 0, R, 0, 0, 0, G, 0, 100, 1, 60, 230, 0},
        };
        run(&t, ROWS(rows));
    }
    /*
     * A program that freed before its trimmer started (a prefork worker
     * whose agent starts after its frees): no trim has run, so what is
     * counted free at the start counts as new, and is trimmed at the first
     * check; after that trim only what is freed later counts.
     */
    {
        const struct table t = {
            "freed before the trimmer started", &c, 0, 0, 1, 300, 230};
        static const struct row rows[] = {
            {0, 300, 230, 4000, R, 0, 0, 0, G, 0, 1000, 60, 70, 230, 0},
            {15000, 70, 230, 4000, R, 0, 0, 0, 0, 0, 1000, 0, 0, NONE, 0},
        };
        run(&t, ROWS(rows));
    }
    /*
     * Requests and pressure trim at once, but never inside the budget;
     * while suspended nothing trims, and a request waits for the resume.
     */
    {
        const struct table t = {
            "requests, pressure, suspension", &c, 1, 0, 1, 50, NONE};
        static const struct row rows[] = {
            {0, 50, NONE, 0, R, 1, 0, 0, RQ, 0, 1000, 400, 50, NONE, 0},
            {1000, 50, NONE, 0, R, 1, 0, 0, 0, D, 1000, 0, 0, NONE, 0},
            {20000, 50, NONE, 0, R, 0, 1, 0, 0, D, 400, 0, 0, NONE, 0},
            {20400, 50, NONE, 0, R, 0, 1, 0, P, 0, 1000, 1, 50, NONE, 0},
            {21000, 50, NONE, 0, R, 1, 0, 1, 0, 0, 1000, 0, 0, NONE, 0},
            {30000, 50, NONE, 0, R, 1, 0, 0, RQ, 0, 1000, 1, 50, NONE, 0},
        };
        run(&t, ROWS(rows));
    }
    /* Without a resident size (a system that cannot tell) only requests. */
    {
        const struct table t = {
            "resident size unknown", &c, 0, 0, 1, NONE, NONE};
        static const struct row rows[] = {
            {0, NONE, NONE, 0, R, 0, 0, 0, 0, 0, 1000, 0, 0, NONE, 0},
            {1000, NONE, NONE, 0, R, 1, 0, 0, RQ, 0, 1000, 1, 0, NONE, 0},
        };
        run(&t, ROWS(rows));
    }
    /* A short interval caps the active cadence too. */
    {
        struct heapmin_auto_config fast = c;
        const struct table t = {
            "interval below 100 ms", &fast, 0, 0, 1, 10, NONE};
        static const struct row rows[] = {
            {0, 10, NONE, 0, R, 0, 0, 0, 0, 0, 50, 0, 0, NONE, 0},
            {50, 100, NONE, 0, R, 0, 0, 0, 0, 0, 50, 0, 0, NONE, 0},
        };
        fast.interval_ms = 50;
        run(&t, ROWS(rows));
    }
    return failures ? 1 : 0;
}
