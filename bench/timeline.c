/*
 * heapmin-bench --auto: when to trim, measured over time (BENCHMARKS.md,
 * "Automatic trimming"). Linux with glibc: it reads /proc/self/task and
 * uses glibc's malloc tunables and LD_PRELOAD.
 *
 * Each (workload, policy) pair is a fresh process that runs the workload on
 * its main thread while a sampler thread reads resident size every 100 ms
 * and a worker thread times small malloc/free pairs (one every 200 us).
 * Under glibc every policy runs with MALLOC_ARENA_MAX=1, so that the worker
 * shares the arena a trim locks, as a server's request threads often do.
 *
 * Workloads (sizes and times scaled down by --quick):
 *   spike   512 MiB filled after 1 s, 90 % freed at random, then idle (20 s)
 *   waves   every 8 s: last wave's survivors freed, 256 MiB filled, 90 %
 *           freed (4 waves, 32 s)
 *   steady  1 GiB filled, then every second 10 % freed and allocated again
 *           (20 s)
 * Policies:
 *   none            nothing
 *   fixed-1s        a thread calling the allocator's own call every second
 *                   (HotSpot's TrimNativeHeapInterval, Orthanc's design)
 *   trim-threshold  MALLOC_TRIM_THRESHOLD_=65536, as dask tells its users
 *   jemalloc-bg     jemalloc preloaded, background_thread:true,
 *                   dirty_decay_ms:1000
 *   heapmin-auto    heapmin_auto_start(NULL): the defaults
 *   heapmin-5%      the same with cpu_budget 0.05
 * Metrics: resident MiB x s above the page-level limit (samples taken while
 * a fill runs count nothing: everything touched then is live), the
 * trimming thread's CPU time (heapmin, fixed-trim or jemalloc_bg_thd, from
 * /proc/self/task/TID/schedstat) as a share of one CPU, trims, and the
 * worker's worst and 99.9th-percentile malloc/free pair.
 */
#define _GNU_SOURCE
#include "timeline.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "direct.h"
#include "frag.h"
#include "heapmin.h"

#define MIB (1024.0 * 1024.0)
#define SAMPLE_MS 100
#define MAX_SAMPLES 4096
#define MAX_PAIRS (1 << 20)

struct workload {
    const char *name;
    double seconds;
};

static const struct workload workloads[] = {
    {"spike", 20},
    {"waves", 32},
    {"steady", 20},
};
#define WORKLOADS (sizeof workloads / sizeof workloads[0])

struct policy {
    const char *name;
    const char *env[3]; /* NAME=VALUE, NULL-terminated */
    const char *thread; /* the trimming thread's name, or NULL */
    const char *color;
};

static const struct policy policies[] = {
    {"none", {"MALLOC_ARENA_MAX=1"}, NULL, "#888888"},
    {"fixed-1s", {"MALLOC_ARENA_MAX=1"}, "fixed-trim", "#1f77b4"},
    {"trim-threshold",
     {"MALLOC_ARENA_MAX=1", "MALLOC_TRIM_THRESHOLD_=65536"},
     NULL,
     "#ff7f0e"},
    {"jemalloc-bg",
     {"LD_PRELOAD=libjemalloc.so.2",
      "MALLOC_CONF=background_thread:true,dirty_decay_ms:1000"},
     "jemalloc_bg_thd",
     "#2ca02c"},
    {"heapmin-auto", {"MALLOC_ARENA_MAX=1"}, "heapmin", "#d62728"},
    /* The same with a 5 % budget: what the knob buys. */
    {"heapmin-5%",
     {"MALLOC_ARENA_MAX=1", "HEAPMIN_BENCH_BUDGET=0.05"},
     "heapmin",
     "#9467bd"},
};
/* The row the goals are about. */
#define HEAPMIN_AUTO 4
#define POLICIES (sizeof policies / sizeof policies[0])

/* ---- the child ------------------------------------------------------- */

struct point {
    float t, resident, limit; /* s, MiB, MiB (-1 while filling) */
};

/* Shared by the child's threads; the arrays are mapped, not malloc'ed. */
static struct {
    double start;
    volatile double limit; /* MiB, -1 while filling */
    volatile int done;
    struct point *points;
    size_t npoints;
    float *pairs; /* microseconds */
    size_t npairs;
    volatile long fixed_trims;
} run;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
    double left = t - (now_s() - run.start);

    if (left > 0) {
        struct timespec ts;
        ts.tv_sec = (time_t)left;
        ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
        nanosleep(&ts, NULL);
    }
}

static void *map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void *sampler(void *arg)
{
    (void)arg;
    while (!run.done && run.npoints < MAX_SAMPLES) {
        struct point *p = &run.points[run.npoints];
        p->t = (float)(now_s() - run.start);
        p->resident = (float)(frag_resident() / MIB);
        p->limit = (float)run.limit;
        run.npoints++;
        sleep_until(run.npoints * SAMPLE_MS / 1000.0);
    }
    return NULL;
}

static void *worker(void *arg)
{
    unsigned long long x = 88172645463325252ull;
    struct timespec pause = {0, 200000L};

    (void)arg;
    while (!run.done && run.npairs < MAX_PAIRS) {
        double t;
        char *p;

        t = now_s();
        p = malloc(16 + frag_random(&x) % 4097);
        frag_sink = p;
        free(p);
        run.pairs[run.npairs++] = (float)((now_s() - t) * 1e6);
        nanosleep(&pause, NULL);
    }
    return NULL;
}

/* HotSpot's and Orthanc's design: the allocator's own call every second. */
static void *fixed_trimmer(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "fixed-trim");
    while (!run.done) {
        sleep(1);
        if (run.done)
            break;
        direct_trim();
        run.fixed_trims++;
    }
    return NULL;
}

static double limit_mib(struct frag *f, long long base)
{
    return frag_page_limit(f, base) / MIB;
}

static int spike(double scale, double tscale, double end)
{
    long long base = frag_resident();
    struct frag f;

    sleep_until(1 * tscale);
    run.limit = -1;
    if (frag_fill(&f, (size_t)(512 * scale * MIB), 16, 4112, 1) != 0)
        return -1;
    frag_evict(&f, 0.10, 2);
    run.limit = limit_mib(&f, base);
    sleep_until(end);
    frag_release(&f);
    return 0;
}

static int waves(double scale, double tscale, double end)
{
    long long base = frag_resident();
    struct frag f;
    int w, have = 0;

    for (w = 0; w < 4; w++) {
        sleep_until(w * 8 * tscale);
        run.limit = -1;
        if (have)
            frag_release(&f);
        if (frag_fill(&f, (size_t)(256 * scale * MIB), 16, 4112,
                      10 + (unsigned)w) != 0)
            return -1;
        have = 1;
        frag_evict(&f, 0.10, 20 + (unsigned)w);
        run.limit = limit_mib(&f, base);
    }
    sleep_until(end);
    frag_release(&f);
    return 0;
}

static int steady(double scale, double tscale, double end)
{
    long long base = frag_resident();
    unsigned long long x = 42;
    struct frag f;
    double t;

    run.limit = -1;
    if (frag_fill(&f, (size_t)(1024 * scale * MIB), 16, 4112, 3) != 0)
        return -1;
    run.limit = limit_mib(&f, base);
    for (t = 1 * tscale; t < end; t += 1 * tscale) {
        size_t i, n = f.live / 10;

        sleep_until(t);
        /* A tenth of the blocks, at random, freed and allocated again. */
        for (i = 0; i < n; i++) {
            struct frag_block *b = &f.blocks[frag_random(&x) % f.live];

            free(b->p);
            b->p = malloc(b->n);
            if (b->p == NULL)
                return -1;
            memset(b->p, 1, b->n);
        }
    }
    sleep_until(end);
    frag_release(&f);
    return 0;
}

/* CPU time of this process's threads named name, in ns (schedstat). */
static long long thread_cpu_ns(const char *name)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    long long total = 0;

    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[300], comm[64] = "";
        long long ns = 0;
        FILE *f;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        if ((f = fopen(path, "r")) != NULL) {
            if (fgets(comm, sizeof comm, f) == NULL)
                comm[0] = '\0';
            fclose(f);
        }
        comm[strcspn(comm, "\n")] = '\0';
        if (strcmp(comm, name) != 0)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", e->d_name);
        if ((f = fopen(path, "r")) != NULL) {
            if (fscanf(f, "%lld", &ns) == 1)
                total += ns;
            fclose(f);
        }
    }
    if (d != NULL)
        closedir(d);
    return total;
}

static int compare_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int timeline_child(const char *workload, const char *policy, double scale)
{
    const struct policy *pol = NULL;
    const struct workload *w = NULL;
    double tscale = scale < 1 ? 0.15 : 1, end, mibs = 0;
    pthread_t ts, tw, tf;
    struct heapmin_auto_stats st;
    long long cpu = -1, trims = -1;
    size_t i;
    int rc;

    for (i = 0; i < WORKLOADS; i++)
        if (strcmp(workloads[i].name, workload) == 0)
            w = &workloads[i];
    for (i = 0; i < POLICIES; i++)
        if (strcmp(policies[i].name, policy) == 0)
            pol = &policies[i];
    if (w == NULL || pol == NULL)
        return 2;
    end = w->seconds * tscale;
    run.points = map(MAX_SAMPLES * sizeof *run.points);
    run.pairs = map(MAX_PAIRS * sizeof *run.pairs);
    if (run.points == NULL || run.pairs == NULL)
        return 1;
    run.limit = 0;
    run.start = now_s();
    if (strncmp(policy, "heapmin", 7) == 0) {
        struct heapmin_auto_config c;
        const char *budget = getenv("HEAPMIN_BENCH_BUDGET");

        memset(&c, 0, sizeof c);
        c.size = sizeof c;
        c.cpu_budget = budget != NULL ? atof(budget) : 0;
        if (heapmin_auto_start(&c) != 0) {
            perror("heapmin_auto_start");
            return 1;
        }
    }
    pthread_create(&ts, NULL, sampler, NULL);
    pthread_create(&tw, NULL, worker, NULL);
    if (strcmp(policy, "fixed-1s") == 0)
        pthread_create(&tf, NULL, fixed_trimmer, NULL);

    if (strcmp(workload, "spike") == 0)
        rc = spike(scale, tscale, end);
    else if (strcmp(workload, "waves") == 0)
        rc = waves(scale, tscale, end);
    else
        rc = steady(scale, tscale, end);

    /* Read before the threads end: their /proc entries go with them. */
    if (pol->thread != NULL)
        cpu = thread_cpu_ns(pol->thread);
    if (strncmp(policy, "heapmin", 7) == 0) {
        memset(&st, 0, sizeof st);
        st.size = sizeof st;
        heapmin_auto_stats(&st);
        trims = st.trims;
        heapmin_auto_stop();
    }
    run.done = 1;
    pthread_join(ts, NULL);
    pthread_join(tw, NULL);
    if (strcmp(policy, "fixed-1s") == 0) {
        pthread_join(tf, NULL);
        trims = run.fixed_trims;
    }
    if (rc != 0)
        return 1;

    for (i = 0; i < run.npoints; i++) {
        const struct point *p = &run.points[i];
        printf("S %.2f %.1f %.1f\n", p->t, p->resident, p->limit);
        if (p->limit >= 0 && p->resident > p->limit)
            mibs += (p->resident - p->limit) * SAMPLE_MS / 1000.0;
    }
    qsort(run.pairs, run.npairs, sizeof *run.pairs, compare_float);
    printf("R %.1f %lld %lld %.3f %.3f %.2f %s\n", mibs, cpu, trims,
           run.npairs ? run.pairs[run.npairs - 1] / 1e3 : 0.0,
           run.npairs ? run.pairs[run.npairs * 999 / 1000] / 1e3 : 0.0, end,
           direct_allocator());
    return 0;
}

/* ---- the parent -------------------------------------------------------- */

struct result {
    int ok;
    int missing; /* the policy's allocator is not installed: not a failure */
    double mibs, cpu_pct, worst_ms, p999_ms, seconds;
    long long trims;
    struct point *points;
    size_t npoints;
};

static struct result results[WORKLOADS][POLICIES];

static int measure(const struct workload *w, const struct policy *p,
                   double scale, struct result *r)
{
    char line[256], sc[32];
    int fd[2], status;
    long long cpu;
    FILE *in;
    pid_t pid;
    size_t i;

    snprintf(sc, sizeof sc, "%g", scale);
    r->points = calloc(MAX_SAMPLES, sizeof *r->points);
    if (r->points == NULL || pipe(fd) != 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        unsetenv("LD_PRELOAD");
        for (i = 0; i < 3 && p->env[i] != NULL; i++)
            putenv((char *)p->env[i]);
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execl("/proc/self/exe", "heapmin-bench", "--auto-child", w->name,
              p->name, sc, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    in = fdopen(fd[0], "r");
    while (in != NULL && fgets(line, sizeof line, in) != NULL) {
        struct point pt;
        char allocator[64];
        if (sscanf(line, "S %f %f %f", &pt.t, &pt.resident, &pt.limit) == 3 &&
            r->npoints < MAX_SAMPLES)
            r->points[r->npoints++] = pt;
        else if (sscanf(line, "R %lf %lld %lld %lf %lf %lf %63s", &r->mibs,
                        &cpu, &r->trims, &r->worst_ms, &r->p999_ms, &r->seconds,
                        allocator) == 7) {
            r->cpu_pct = cpu < 0 ? -1 : cpu / 1e7 / r->seconds;
            /* jemalloc-bg without jemalloc would measure glibc. */
            r->missing = strncmp(p->name, "jemalloc", 8) == 0 &&
                         strcmp(allocator, "jemalloc") != 0;
            r->ok = !r->missing;
        }
    }
    if (in != NULL)
        fclose(in);
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        r->ok = 0;
    if (r->missing)
        r->npoints = 0; /* glibc's samples, not the policy's */
    return r->ok || r->missing ? 0 : -1;
}

static void write_csv(FILE *out)
{
    size_t w, p, i;

    fprintf(out, "workload,policy,t_s,resident_mib,limit_mib\n");
    for (w = 0; w < WORKLOADS; w++)
        for (p = 0; p < POLICIES; p++)
            for (i = 0; i < results[w][p].npoints; i++) {
                const struct point *pt = &results[w][p].points[i];
                fprintf(out, "%s,%s,%.2f,%.1f,%.1f\n", workloads[w].name,
                        policies[p].name, pt->t, pt->resident, pt->limit);
            }
}

/* Resident size over time, a panel per workload, a line per policy. */
static void write_svg(FILE *out)
{
    const int width = 900, panel = 240, left = 60, top = 40;
    size_t w, p, i;

    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
            "<text x=\"%d\" y=\"20\" font-size=\"14\">Resident MiB over time, "
            "per trimming policy (dashed: page-level limit)</text>\n",
            width, top + (int)WORKLOADS * (panel + 40), left);
    for (p = 0; p < POLICIES; p++)
        fprintf(out, "<text x=\"%d\" y=\"34\" fill=\"%s\">%s</text>\n",
                left + 135 * (int)p, policies[p].color, policies[p].name);
    for (w = 0; w < WORKLOADS; w++) {
        double ymax = 1, tmax = 1;
        int y0 = top + (int)w * (panel + 40) + 20;
        const struct result *ref = &results[w][HEAPMIN_AUTO];

        for (p = 0; p < POLICIES; p++)
            for (i = 0; i < results[w][p].npoints; i++) {
                const struct point *pt = &results[w][p].points[i];
                if (pt->resident > ymax)
                    ymax = pt->resident;
                if (pt->t > tmax)
                    tmax = pt->t;
            }
        fprintf(out,
                "<text x=\"%d\" y=\"%d\">%s (0 to %.0f s; top %.0f MiB)"
                "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                "fill=\"none\" stroke=\"#ccc\"/>\n",
                left, y0 - 6, workloads[w].name, tmax, ymax, left, y0,
                width - left - 20, panel);
#define X(t) (left + (t) / tmax * (width - left - 20))
#define Y(v) (y0 + panel - (v) / ymax * panel)
        for (p = 0; p < POLICIES; p++) {
            if (results[w][p].missing)
                continue;
            fprintf(out,
                    "<polyline fill=\"none\" stroke=\"%s\" "
                    "stroke-width=\"1.5\" points=\"",
                    policies[p].color);
            for (i = 0; i < results[w][p].npoints; i++) {
                const struct point *pt = &results[w][p].points[i];
                fprintf(out, "%.1f,%.1f ", X(pt->t), Y(pt->resident));
            }
            fprintf(out, "\"/>\n");
        }
        /* The limit is unknown while a fill runs: the path breaks there. */
        fprintf(out, "<path fill=\"none\" stroke=\"black\" "
                     "stroke-dasharray=\"4 3\" d=\"");
        for (i = 0; i < ref->npoints; i++)
            if (ref->points[i].limit >= 0)
                fprintf(out, "%c%.1f,%.1f ",
                        i == 0 || ref->points[i - 1].limit < 0 ? 'M' : 'L',
                        X(ref->points[i].t), Y(ref->points[i].limit));
        fprintf(out, "\"/>\n");
#undef X
#undef Y
    }
    fprintf(out, "</svg>\n");
}

static void print_table(void)
{
    size_t w, p;

    printf("%-8s %-15s %10s %10s %7s %10s %10s\n", "workload", "policy",
           "MiB*s>lim", "trimmer%", "trims", "worst ms", "p99.9 ms");
    for (w = 0; w < WORKLOADS; w++)
        for (p = 0; p < POLICIES; p++) {
            const struct result *r = &results[w][p];
            char cpu[32], trims[32];
            if (!r->ok) {
                printf("%-8s %-15s (%s)\n", workloads[w].name,
                       policies[p].name,
                       r->missing ? "not installed" : "failed");
                continue;
            }
            snprintf(cpu, sizeof cpu, r->cpu_pct < 0 ? "-" : "%.3f",
                     r->cpu_pct);
            snprintf(trims, sizeof trims, r->trims < 0 ? "-" : "%lld",
                     r->trims);
            printf("%-8s %-15s %10.1f %10s %7s %10.3f %10.3f\n",
                   workloads[w].name, policies[p].name, r->mibs, cpu, trims,
                   r->worst_ms, r->p999_ms);
        }
}

/* heapmin-auto against fixed-1s, as the goals in BENCHMARKS.md put them. */
static void print_goals(void)
{
    const struct result *a, *f;
    size_t w;

    printf("\nheapmin-auto against fixed-1s (goals: MiB*s <= 1.2x on spike "
           "and waves, trimmer CPU <= 0.1x,\n<= 0.5 %% of one CPU on steady, "
           "worst stall no worse):\n");
    for (w = 0; w < WORKLOADS; w++) {
        a = &results[w][HEAPMIN_AUTO];
        f = &results[w][1];
        if (!a->ok || !f->ok)
            continue;
        printf("  %-7s MiB*s %6.2fx   trimmer CPU %6.3fx (%.3f %% of one "
               "CPU)   worst stall %.1f vs %.1f ms\n",
               workloads[w].name, f->mibs > 0 ? a->mibs / f->mibs : 0.0,
               f->cpu_pct > 0 ? a->cpu_pct / f->cpu_pct : 0.0, a->cpu_pct,
               a->worst_ms, f->worst_ms);
    }
}

int timeline_main(int argc, char **argv)
{
    const char *csv = NULL;
    double scale = 1;
    size_t w, p;
    int i, failed = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--auto") == 0)
            continue;
        if (strcmp(argv[i], "--quick") == 0)
            scale = 1.0 / 8;
        else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc)
            csv = argv[++i];
        else {
            fprintf(stderr,
                    "heapmin-bench: bad argument '%s'\nusage: heapmin-bench "
                    "--auto [--quick] [--csv FILE]\n",
                    argv[i]);
            return 2;
        }
    }
    printf("heapmin %s, automatic trimming over time (%s sizes and times; "
           "one run each)\n\n",
           heapmin_version(), scale < 1 ? "--quick" : "full");
    for (w = 0; w < WORKLOADS; w++)
        for (p = 0; p < POLICIES; p++) {
            if (isatty(2))
                fprintf(stderr, "\r%s %s...          ", workloads[w].name,
                        policies[p].name);
            if (measure(&workloads[w], &policies[p], scale, &results[w][p]) !=
                0)
                failed++;
        }
    if (isatty(2))
        fprintf(stderr, "\r%40s\r", "");
    print_table();
    print_goals();
    if (csv != NULL) {
        char path[4096];
        size_t len = strlen(csv);
        FILE *out = fopen(csv, "w");

        if (out == NULL) {
            fprintf(stderr, "heapmin-bench: cannot write %s: %s\n", csv,
                    strerror(errno));
            return 1;
        }
        write_csv(out);
        fclose(out);
        if (len > 4 && strcmp(csv + len - 4, ".csv") == 0)
            len -= 4;
        snprintf(path, sizeof path, "%.*s.svg", (int)len, csv);
        if ((out = fopen(path, "w")) != NULL) {
            write_svg(out);
            fclose(out);
            printf("\nwrote %s and %s\n", csv, path);
        }
    }
    return failed ? 1 : 0;
}
