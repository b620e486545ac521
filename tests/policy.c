/*
 * The automatic trimmer's policy (src/auto/policy.h), table-driven with a
 * fake clock: each row is one check (time, resident size, the allocator's
 * own count, pending request or pressure, suspended) and what the policy
 * must answer; a row that trims feeds the trim's cost and result back.
 */
#include <stdio.h>

#include "check.h"
#include "policy.h"

#define MS HEAPMIN__MS
#define MIB ((heapmin_int64)1 << 20)

struct row {
    heapmin_int64 now_ms, resident_mib, releasable_mib;
    int requested, pressure, suspended;
    /* Expected. */
    int trim, deferred;
    heapmin_int64 wait_ms;
    /* When it trims: how long it took and what it left. */
    heapmin_int64 took_ms, after_mib;
};

static void run(const char *name, const struct heapmin_auto_config *c,
                heapmin_int64 start_mib, const struct row *rows, int n)
{
    struct heapmin__policy p;
    int i;

    heapmin__policy_init(&p, c, start_mib < 0 ? -1 : start_mib * MIB);
    for (i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        struct heapmin__observation o;
        struct heapmin__decision d;

        o.now = r->now_ms * MS;
        o.resident = r->resident_mib < 0 ? -1 : r->resident_mib * MIB;
        o.releasable = r->releasable_mib < 0 ? -1 : r->releasable_mib * MIB;
        o.requested = r->requested;
        o.pressure = r->pressure;
        o.suspended = r->suspended;
        d = heapmin__policy_check(&p, &o);
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
        if (d.trim)
            heapmin__policy_trimmed(
                &p, d.trim, o.now + r->took_ms * MS, r->took_ms * MS,
                o.resident - r->after_mib * MIB, r->after_mib * MIB);
    }
    printf("ok - %s\n", name);
}

int main(void)
{
    /* The defaults: 1 s, half a percent of a CPU, 8 MiB. */
    struct heapmin_auto_config c = {sizeof c, 1000, 0.005, 8 * MIB,
                                    0,        NULL, NULL};
    const heapmin_int64 G = HEAPMIN_AUTO_GROWTH, R = HEAPMIN_AUTO_REQUEST,
                        P = HEAPMIN_AUTO_PRESSURE;

    /*
     * glibc has no cheap count: a peak that stops growing is trimmed at the
     * first still check; while it grows, checks come every 100 ms and
     * nothing is trimmed. A trim of 200 ms then rules out another for 40 s
     * after its end.
     */
    {
        const struct row rows[] = {
            {0, 10, -1, 0, 0, 0, 0, 0, 1000, 0, 0},
            {1000, 200, -1, 0, 0, 0, 0, 0, 100, 0, 0},     /* growing */
            {1100, 400, -1, 0, 0, 0, 0, 0, 100, 0, 0},     /* growing */
            {1200, 400, -1, 0, 0, 0, G, 0, 1000, 200, 60}, /* still: trim */
            {2400, 300, -1, 0, 0, 0, 0, 0, 100, 0, 0},     /* growing again */
            {2500, 300, -1, 0, 0, 0, 0, 1, 1000, 0, 0},    /* budget: 41.4 s */
            {3500, 300, -1, 0, 0, 0, 0, 1, 1000, 0, 0},
            {41000, 300, -1, 0, 0, 0, 0, 1, 400, 0, 0}, /* wait to 41.4 s */
            {41400, 300, -1, 0, 0, 0, G, 0, 1000, 100, 60},
        };
        run("growth, then the budget", &c, 10, rows,
            (int)(sizeof rows / sizeof rows[0]));
    }
    /*
     * With the allocator's own count (jemalloc, tcmalloc) the count decides,
     * not resident size; a trim that releases less than half of what was
     * expected doubles the bar (8, 16, 32 MiB), one that releases enough
     * resets it.
     */
    {
        const struct row rows[] = {
            {0, 100, 7, 0, 0, 0, 0, 0, 1000, 0, 0},     /* 7 < 8 MiB */
            {1000, 100, 9, 0, 0, 0, G, 0, 1000, 1, 99}, /* releases 1 MiB */
            {2000, 99, 12, 0, 0, 0, 0, 0, 1000, 0, 0},  /* 12 < 16 */
            {3000, 99, 16, 0, 0, 0, G, 0, 1000, 1, 98}, /* 1 MiB again */
            {4000, 98, 31, 0, 0, 0, 0, 0, 1000, 0, 0},  /* 31 < 32 */
            {5000, 98, 32, 0, 0, 0, G, 0, 1000, 1, 66}, /* 32 MiB: reset */
            {6000, 66, 8, 0, 0, 0, G, 0, 1000, 1, 58},
        };
        run("allocator count and back-off", &c, 100, rows,
            (int)(sizeof rows / sizeof rows[0]));
    }
    /*
     * Requests and pressure trim at once, but never inside the budget;
     * while suspended nothing trims, and a request waits for the resume.
     */
    {
        const struct row rows[] = {
            {0, 50, -1, 1, 0, 0, R, 0, 1000, 100, 50},
            {1000, 50, -1, 1, 0, 0, 0, 1, 1000, 0, 0}, /* budget to 20.1 s */
            {20000, 50, -1, 0, 1, 0, 0, 1, 100, 0, 0},
            {20100, 50, -1, 0, 1, 0, P, 0, 1000, 1, 50},
            {21000, 50, -1, 1, 0, 1, 0, 0, 1000, 0, 0},  /* suspended */
            {30000, 50, -1, 1, 0, 0, R, 0, 1000, 1, 50}, /* resumed */
        };
        run("requests, pressure, suspension", &c, 50, rows,
            (int)(sizeof rows / sizeof rows[0]));
    }
    /* Without a resident size (a system that cannot tell) only requests. */
    {
        const struct row rows[] = {
            {0, -1, -1, 0, 0, 0, 0, 0, 1000, 0, 0},
            {1000, -1, -1, 1, 0, 0, R, 0, 1000, 1, 0},
        };
        run("resident size unknown", &c, -1, rows,
            (int)(sizeof rows / sizeof rows[0]));
    }
    /* A short interval caps the active cadence too. */
    {
        struct heapmin_auto_config fast = c;
        const struct row rows[] = {
            {0, 10, -1, 0, 0, 0, 0, 0, 50, 0, 0},
            {50, 100, -1, 0, 0, 0, 0, 0, 50, 0, 0},
        };
        fast.interval_ms = 50;
        run("interval below 100 ms", &fast, 10, rows,
            (int)(sizeof rows / sizeof rows[0]));
    }
    return failures ? 1 : 0;
}
