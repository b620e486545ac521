/*
 * The automatic trimmer's policy (src/auto/policy.h), table-driven with a
 * fake clock. Each row is one check as auto.c makes it: the time, resident
 * size, the allocator's count of free bytes (read only if the check is
 * open, at the cost given), a pending request or pressure, suspension; and
 * what the policy must answer. A row that trims feeds the trim's cost and
 * what it left back, through heapmin__policy_step as auto.c does.
 */
#include <stdio.h>

#include "check.h"
#include "policy.h"

#define MS HEAPMIN__MS
#define MIB ((heapmin_int64)1 << 20)
#define NONE (-1)

struct row {
    heapmin_int64 now_ms, resident_mib, free_mib, count_ms;
    int requested, pressure, suspended;
    /* Expected. */
    int trim, deferred;
    heapmin_int64 wait_ms;
    /* When it trims: how long it took and what it left. */
    heapmin_int64 took_ms, after_mib, free_after_mib;
};

static heapmin_int64 bytes(heapmin_int64 mib)
{
    return mib < 0 ? -1 : mib * MIB;
}

/* Whether the program is quiet at every check of the table being run. */
static int quiet;

/* The world of one row: its count, its trim, and the time it took. */
struct row_world {
    const struct row *row;
    heapmin_int64 now; /* the check's time plus what it has spent */
    int counted;       /* the count before the trim was read */
};

static heapmin_int64 row_count(void *arg, heapmin_int64 *cost)
{
    struct row_world *w = arg;

    if (w->counted++) /* after the trim */
        return bytes(w->row->free_after_mib);
    *cost += w->row->count_ms * MS;
    w->now += w->row->count_ms * MS;
    return bytes(w->row->free_mib);
}

static heapmin_int64 row_trim(void *arg, heapmin_int64 *released,
                              heapmin_int64 *resident_after)
{
    struct row_world *w = arg;

    *resident_after = bytes(w->row->after_mib);
    *released = w->row->resident_mib < 0
                    ? -1
                    : bytes(w->row->resident_mib) - *resident_after;
    w->now += w->row->took_ms * MS;
    w->counted = 1; /* a count from now on is the one after the trim */
    return w->row->took_ms * MS;
}

static heapmin_int64 row_now(void *arg)
{
    return ((struct row_world *)arg)->now;
}

static void run(const char *name, const struct heapmin_auto_config *c,
                heapmin_int64 start_mib, heapmin_int64 start_free_mib,
                const struct row *rows, int n)
{
    struct heapmin__policy p;
    int i, before = failures;

    heapmin__policy_init(&p, c, bytes(start_mib), bytes(start_free_mib));
    for (i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        struct row_world rw;
        struct heapmin__world w = {NULL, 0, row_count, row_trim, row_now};
        struct heapmin__observation o;
        struct heapmin__decision d;

        rw.row = r;
        rw.now = r->now_ms * MS;
        rw.counted = 0;
        w.arg = &rw;
        /* A row without a count is an allocator that has none. */
        w.counts = r->free_mib >= 0;
        o.now = r->now_ms * MS;
        o.resident = bytes(r->resident_mib);
        o.requested = r->requested;
        o.pressure = r->pressure;
        o.suspended = r->suspended;
        o.busy = !quiet;
        d = heapmin__policy_step(&p, &o, &w).decision;
        if (d.trim != r->trim || d.deferred != r->deferred ||
            d.wait_ns != r->wait_ms * MS) {
            fprintf(stderr,
                    "%s, row %d (t=%lld ms): trim %d deferred %d wait %lld ms; "
                    "expected %d, %d, %lld ms\n",
                    name, i, (long long)r->now_ms, d.trim, d.deferred,
                    (long long)(d.wait_ns / MS), r->trim, r->deferred,
                    (long long)r->wait_ms);
            failures++;
        }
    }
    printf("%s - %s\n", failures > before ? "not ok" : "ok", name);
}

#define ROWS(r) r, (int)(sizeof r / sizeof r[0])

int main(void)
{
    /* The defaults: 1 s, half a percent of a CPU, 8 MiB. */
    struct heapmin_auto_config c = {sizeof c, 1000, 0.005, 8 * MIB,
                                    0,        NULL, NULL};
    const int G = HEAPMIN_AUTO_GROWTH, R = HEAPMIN_AUTO_REQUEST,
              P = HEAPMIN_AUTO_PRESSURE;

    /*
     * No count (mimalloc, scudo, a static binary): a peak that stops growing
     * is trimmed at the first still check; while it grows, checks come every
     * 100 ms and nothing is trimmed. A trim of 200 ms then keeps the next
     * check closed for 40 s after its end.
     */
    {
        static const struct row rows[] = {
            {0, 10, NONE, 0, 0, 0, 0, 0, 0, 1000, 0, 0, NONE},
            {1000, 200, NONE, 0, 0, 0, 0, 0, 0, 100, 0, 0, NONE},
            {1100, 400, NONE, 0, 0, 0, 0, 0, 0, 100, 0, 0, NONE},
            {1200, 400, NONE, 0, 0, 0, 0, G, 0, 1000, 200, 60, NONE},
            {2400, 300, NONE, 0, 0, 0, 0, 0, 0, 100, 0, 0, NONE},
            {2500, 300, NONE, 0, 0, 0, 0, 0, 1, 1000, 0, 0, NONE},
            {3500, 300, NONE, 0, 0, 0, 0, 0, 1, 1000, 0, 0, NONE},
            {41000, 300, NONE, 0, 0, 0, 0, 0, 1, 400, 0, 0, NONE},
            {41400, 300, NONE, 0, 0, 0, 0, G, 0, 1000, 100, 60, NONE},
        };
        run("no count: growth, then the budget", &c, 10, NONE, ROWS(rows));
    }
    /*
     * A count that a trim brings to 0 (jemalloc, tcmalloc), cheap: it
     * decides once it has settled (moved by less than 8 MiB since the last
     * reading; a check comes 100 ms after one that moved). A trim that
     * releases less than half of what was expected doubles the bar (8, 16,
     * 32 MiB), one that releases enough resets it.
     */
    {
        static const struct row rows[] = {
            {0, 100, 7, 0, 0, 0, 0, 0, 0, 1000, 0, 0, 0},
            {1000, 100, 9, 0, 0, 0, 0, G, 0, 1000, 1, 99, 0},
            {2000, 99, 12, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0},  /* moved 12 */
            {2100, 99, 12, 0, 0, 0, 0, 0, 0, 1000, 0, 0, 0}, /* 12 < 16 */
            {3000, 99, 16, 0, 0, 0, 0, G, 0, 1000, 1, 98, 0},
            {4000, 98, 31, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0},
            {4100, 98, 31, 0, 0, 0, 0, 0, 0, 1000, 0, 0, 0},  /* 31 < 32 */
            {5000, 98, 32, 0, 0, 0, 0, G, 0, 1000, 1, 66, 0}, /* reset */
            {6000, 66, 8, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0},    /* moved 8 */
            {6100, 66, 8, 0, 0, 0, 0, G, 0, 1000, 1, 58, 0},
        };
        run("count to zero: settle, back-off", &c, 100, 0, ROWS(rows));
    }
    /*
     * glibc's count (free chunks stay counted after a trim), 4 ms a read, in
     * a busy program: read only at open checks while resident size is not
     * growing, and (a costly count) once the program has been busy for
     * three checks; each read closes the next 800 ms; between them resident
     * growth decides when to come back. Frees still under way
     * at a reading wait for the next one; after the trim, memory freed
     * later shows as count above what the trim left, and is trimmed too.
     */
    {
        static const struct row rows[] = {
            {0, 100, 5, 4, 0, 0, 0, 0, 0, 1000, 0, 0, NONE},
            {500, 100, 5, 4, 0, 0, 0, 0, 0, 1000, 0, 0, NONE},   /* closed */
            {1000, 400, 5, 4, 0, 0, 0, 0, 0, 100, 0, 0, NONE},   /* growing */
            {1100, 400, 310, 4, 0, 0, 0, 0, 0, 100, 0, 0, NONE}, /* moving */
            {1200, 400, 310, 4, 0, 0, 0, 0, 1, 704, 0, 0, NONE}, /* to 1904 */
            {1904, 400, 310, 4, 0, 0, 0, G, 0, 1000, 200, 60, 310},
            {3000, 60, 320, 4, 0, 0, 0, 0, 0, 1000, 0, 0, NONE}, /* closed */
            {42908, 60, 330, 4, 0, 0, 0, 0, 0, 100, 0, 0, NONE}, /* moved 20 */
            {43712, 60, 330, 4, 0, 0, 0, G, 0, 1000, 10, 50, 330},
            {45000, 50, 400, 4, 0, 0, 0, 0, 0, 1000, 0, 0, NONE}, /* closed */
        };
        run("glibc's count, paid from the budget", &c, 100, 5, ROWS(rows));
    }
    /*
     * Waves under glibc: after a trim the count stays at 230 MiB (released
     * chunks stay counted); the next wave refills from them (resident grows
     * by 190 MiB, no count is read while it grows) and frees again, so the
     * count is back at 230. What resident size grew comes off the reference:
     * a gain of 190 MiB, trimmed.
     */
    {
        static const struct row rows[] = {
            {0, 300, 230, 0, 0, 0, 0, G, 0, 1000, 1, 60, 230},
            {8000, 150, 230, 0, 0, 0, 0, 0, 0, 100, 0, 0, NONE}, /* growing */
            {8100, 250, 230, 0, 0, 0, 0, 0, 0, 100, 0, 0, NONE}, /* growing */
            {8200, 250, 230, 0, 0, 0, 0, G, 0, 1000, 1, 60, 230},
        };
        quiet = 1;
        run("released chunks used again (waves)", &c, 300, 0, ROWS(rows));
        quiet = 0;
    }
    /*
     * The same program, gone quiet after its frees (its threads used under
     * half a CPU since the last check): the count that moved has settled
     * already, and the trim comes at the first open check.
     */
    {
        static const struct row rows[] = {
            {0, 100, 5, 4, 0, 0, 0, 0, 0, 1000, 0, 0, NONE},
            {1000, 400, 5, 4, 0, 0, 0, 0, 0, 100, 0, 0, NONE}, /* growing */
            {1100, 400, 310, 4, 0, 0, 0, G, 0, 1000, 200, 60, 310},
        };
        quiet = 1;
        run("glibc's count in a quiet program", &c, 100, 5, ROWS(rows));
        quiet = 0;
    }
    /*
     * A program that freed before its trimmer started (a prefork worker
     * whose agent starts after its frees): no trim has run, so what is
     * counted free at the start counts as new, and is trimmed at the first
     * check; after that trim only what is freed later counts.
     */
    {
        static const struct row rows[] = {
            {0, 300, 230, 4, 0, 0, 0, G, 0, 1000, 60, 70, 230},
            {15000, 70, 230, 4, 0, 0, 0, 0, 0, 1000, 0, 0, NONE},
        };
        quiet = 1;
        run("freed before the trimmer started", &c, 300, 230, ROWS(rows));
        quiet = 0;
    }
    /*
     * Requests and pressure trim at once, but never inside the budget;
     * while suspended nothing trims, and a request waits for the resume.
     */
    {
        static const struct row rows[] = {
            {0, 50, NONE, 0, 1, 0, 0, R, 0, 1000, 100, 50, NONE},
            {1000, 50, NONE, 0, 1, 0, 0, 0, 1, 1000, 0, 0, NONE},
            {20000, 50, NONE, 0, 0, 1, 0, 0, 1, 100, 0, 0, NONE},
            {20100, 50, NONE, 0, 0, 1, 0, P, 0, 1000, 1, 50, NONE},
            {21000, 50, NONE, 0, 1, 0, 1, 0, 0, 1000, 0, 0, NONE},
            {30000, 50, NONE, 0, 1, 0, 0, R, 0, 1000, 1, 50, NONE},
        };
        run("requests, pressure, suspension", &c, 50, NONE, ROWS(rows));
    }
    /* Without a resident size (a system that cannot tell) only requests. */
    {
        static const struct row rows[] = {
            {0, NONE, NONE, 0, 0, 0, 0, 0, 0, 1000, 0, 0, NONE},
            {1000, NONE, NONE, 0, 1, 0, 0, R, 0, 1000, 1, 0, NONE},
        };
        run("resident size unknown", &c, NONE, NONE, ROWS(rows));
    }
    /* A short interval caps the active cadence too. */
    {
        struct heapmin_auto_config fast = c;
        static const struct row rows[] = {
            {0, 10, NONE, 0, 0, 0, 0, 0, 0, 50, 0, 0, NONE},
            {50, 100, NONE, 0, 0, 0, 0, 0, 0, 50, 0, 0, NONE},
        };
        fast.interval_ms = 50;
        run("interval below 100 ms", &fast, 10, NONE, ROWS(rows));
    }
    return failures ? 1 : 0;
}
