/*
 * heapmin-bench: how much heapmin gives back, against the page-level limit
 * and against the allocator's own call, and what it costs.
 *
 * Every measurement is one fresh process (this program, re-run with
 * --child) that fragments a heap, then calls nothing ("none"), heapmin()
 * ("heapmin"), the allocator's own call ("direct", see direct.c) or, under
 * a preloaded allocator, glibc's malloc_trim(0) as a program written for
 * glibc would ("malloc_trim"). Modes
 * alternate order from run to run (A/B/C, then C/B/A) and the medians are
 * reported, because these machines are shared and noisy. Allocators other
 * than the C library's are switched in with LD_PRELOAD, as servers do.
 *
 * POSIX only (fork, exec, dladdr).
 */
#define _GNU_SOURCE
#include "heapmin.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__GLIBC__) /* malloc_trim; elsewhere <malloc.h> may be an #error */
#include <malloc.h>
#endif

#include "direct.h"
#include "timeline.h"
#include "frag.h"

#define MIB (1024.0 * 1024.0)
#define MAX_RUNS 99

struct workload {
    const char *name;
    size_t min, max; /* block sizes */
    double keep;     /* share of blocks kept at random */
    int threads;     /* each fills and frees its share */
};

static const struct workload workloads[] = {
    {"small-1", 16, 4112, 0.01, 1},    {"small-10", 16, 4112, 0.10, 1},
    {"small-50", 16, 4112, 0.50, 1},   {"large-10", 16, 65536, 0.10, 1},
    {"threads-10", 16, 4112, 0.10, 4},
};
#define WORKLOADS (sizeof workloads / sizeof workloads[0])

struct allocator {
    const char *name;    /* NULL: whatever the program is linked with */
    const char *preload; /* NULL: nothing preloaded */
};

static const struct allocator allocators[] = {
    {NULL, NULL},
    {"jemalloc", "libjemalloc.so.2"},
    {"tcmalloc", "libtcmalloc_minimal.so.4"},
    {"mimalloc", "libmimalloc.so.2"},
    /* Debian 12's libclang-rt-14-dev: clang's runtime directory. */
    {"scudo", "/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/"
              "libclang_rt.scudo_standalone-x86_64.so"},
    {"tbbmalloc", "libtbbmalloc_proxy.so.2"},
};
#define ALLOCATORS (sizeof allocators / sizeof allocators[0])

/* malloc_trim: a program that calls glibc's malloc_trim(0), for contrast. */
static const char *const modes[] = {"none", "heapmin", "direct", "malloc_trim"};
#define MODES 4

/* One child's answer; a row of medians has the same shape. */
struct sample {
    double limit_kib, freed_kib, after_kib, ms;
};

static const char usage[] =
    "usage: heapmin-bench [--quick] [--runs N] [--size MIB] [--csv FILE]\n"
    "\n"
    "Measures resident size after heapmin() and after each allocator's own\n"
    "call (glibc, and jemalloc, tcmalloc, mimalloc, scudo, tbbmalloc where\n"
    "installed, through LD_PRELOAD) on fragmented heaps, and trim time "
    "against\n"
    "heap size.\n"
    "  --quick     smaller heaps and 3 runs: under a minute, for smoke tests\n"
    "  --runs N    runs per measurement, medians reported (default 5)\n"
    "  --size MIB  heap filled per workload (default 256)\n"
    "  --csv FILE  write the medians as CSV, and a chart beside it (.svg)\n"
    "  --auto      instead: trimming policies over time (heapmin's automatic\n"
    "              trimmer against a fixed interval, glibc's trim threshold\n"
    "              and jemalloc's background thread); with --quick, --csv\n"
    "Progress is shown on stderr when it is a terminal.\n";

/* ---- the child: one measurement in a fresh process ---------------------- */

struct filler {
    const struct workload *w;
    size_t bytes;
    unsigned seed;
    struct frag f;
    int rc;
};

static void *fill_and_evict(void *arg)
{
    struct filler *fl = arg;

    fl->rc = frag_fill(&fl->f, fl->bytes, fl->w->min, fl->w->max, fl->seed);
    if (fl->rc == 0)
        frag_evict(&fl->f, fl->w->keep, fl->seed + 100);
    return NULL;
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const struct workload *find_workload(const char *name)
{
    size_t i;

    for (i = 0; i < WORKLOADS; i++)
        if (strcmp(workloads[i].name, name) == 0)
            return &workloads[i];
    return NULL;
}

/*
 * The "stall" mode: heapmin() runs on another thread while this one, which
 * filled the heap (glibc: its arena), times small malloc/free pairs, as a
 * request thread would. The answer is the worst pair, in ms.
 */
static volatile int trim_done;

static void *trim_thread(void *arg)
{
    *(int *)arg = heapmin();
    trim_done = 1;
    return NULL;
}

static double worst_pair_during_trim(int *rc)
{
    unsigned long long x = 88172645463325252ull;
    double worst = 0;
    pthread_t t;

    trim_done = 0;
    pthread_create(&t, NULL, trim_thread, rc);
    while (!trim_done) {
        double start = now_ms(), ms;
        char *p = malloc(16 + frag_random(&x) % 4097);

        frag_sink = p;
        free(p);
        ms = now_ms() - start;
        if (ms > worst)
            worst = ms;
    }
    pthread_join(t, NULL);
    return worst;
}

static int child(const char *workload, const char *mode, double mib)
{
    const struct workload *w = find_workload(workload);
    struct filler fl[4];
    pthread_t t[4];
    long long base, freed, after, limit;
    double start, ms, stall = -1;
    int i, rc = 0;

    if (w == NULL)
        return 2;
    base = frag_resident();
    memset(fl, 0, sizeof fl);
    for (i = 0; i < w->threads; i++) {
        fl[i].w = w;
        fl[i].bytes = (size_t)(mib * MIB) / (size_t)w->threads;
        fl[i].seed = 1 + 2 * (unsigned)i;
    }
    if (w->threads == 1) {
        fill_and_evict(&fl[0]);
    } else {
        for (i = 0; i < w->threads; i++)
            pthread_create(&t[i], NULL, fill_and_evict, &fl[i]);
        for (i = 0; i < w->threads; i++)
            pthread_join(t[i], NULL);
    }
    for (i = 0; i < w->threads; i++)
        if (fl[i].rc != 0)
            return 1;

    freed = frag_resident();
    start = now_ms();
    if (strcmp(mode, "heapmin") == 0)
        rc = heapmin();
    else if (strcmp(mode, "stall") == 0)
        stall = worst_pair_during_trim(&rc);
    else if (strcmp(mode, "direct") == 0)
        rc = direct_trim();
#if defined(__GLIBC__)
    else if (strcmp(mode, "malloc_trim") == 0)
        (void)malloc_trim(0);
#endif
    /* The stall mode reports the other thread's worst pair instead. */
    ms = stall >= 0 ? stall : now_ms() - start;
    after = frag_resident();

    /* Threads fill separate arenas, so their pages do not overlap. */
    limit = base;
    for (i = 0; i < w->threads; i++)
        limit += frag_page_limit(&fl[i].f, 0);
    printf("%s %lld %lld %lld %.6f %d %s\n", direct_allocator(), limit / 1024,
           freed / 1024, after / 1024, ms, rc, heapmin_backend());
    return 0;
}

/* ---- the parent: runs children, takes medians, reports ----------------- */

/* The live allocator's name for each row, as the children report it. */
static char live_names[ALLOCATORS][64];

static const char *allocator_name(const struct allocator *a)
{
    return live_names[a - allocators];
}

/*
 * Runs one child under the allocator; fills *s. Returns 0, or -1 when the
 * allocator did not become the live one (not installed).
 */
static int measure(const struct allocator *a, const char *workload,
                   const char *mode, double mib, struct sample *s)
{
    char size[32], name[64], line[256];
    char *live = live_names[a - allocators];
    int fd[2], status, rc = -1;
    FILE *in;
    pid_t pid;

    snprintf(size, sizeof size, "%g", mib);
    if (pipe(fd) != 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        if (a->preload != NULL)
            setenv("LD_PRELOAD", a->preload, 1);
        else
            unsetenv("LD_PRELOAD");
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        /* ld.so complains on stderr when a preload is missing. */
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(127);
        execl("/proc/self/exe", "heapmin-bench", "--child", workload, mode,
              size, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    in = fdopen(fd[0], "r");
    if (in != NULL && fgets(line, sizeof line, in) != NULL &&
        sscanf(line, "%63s %lf %lf %lf %lf", name, &s->limit_kib, &s->freed_kib,
               &s->after_kib, &s->ms) == 5 &&
        (a->name == NULL || strcmp(name, a->name) == 0) &&
        (live[0] == '\0' || strcmp(name, live) == 0)) {
        strcpy(live, name);
        rc = 0;
    }
    if (in != NULL)
        fclose(in);
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        rc = -1;
    return rc;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static struct sample median_of(const struct sample *runs, int n)
{
    double v[4][MAX_RUNS];
    struct sample m;
    int i;

    for (i = 0; i < n; i++) {
        v[0][i] = runs[i].limit_kib;
        v[1][i] = runs[i].freed_kib;
        v[2][i] = runs[i].after_kib;
        v[3][i] = runs[i].ms;
    }
    m.limit_kib = median(v[0], n);
    m.freed_kib = median(v[1], n);
    m.after_kib = median(v[2], n);
    m.ms = median(v[3], n);
    return m;
}

/* The progress line on stderr, rewritten in place; only on a terminal. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static void
progress(const char *fmt, ...)
{
    va_list ap;

    if (!isatty(2))
        return;
    fputs("\r\033[K", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static void progress_done(void)
{
    if (isatty(2))
        fputs("\r\033[K", stderr);
}

/*
 * Measures the given modes of one workload, runs times each, in alternating
 * order. Returns -1 if the allocator is not available.
 */
static int measure_modes(const struct allocator *a, const char *workload,
                         double mib, int runs, const int *which, int n,
                         struct sample *out, int *step, int steps)
{
    struct sample s[MODES][MAX_RUNS];
    int run, k;

    for (run = 0; run < runs; run++) {
        for (k = 0; k < n; k++) {
            int m = which[run % 2 ? n - 1 - k : k];
            progress("[%d/%d] %s %s %g MiB, %s, run %d/%d", ++*step, steps,
                     a->name, workload, mib, modes[m], run + 1, runs);
            if (measure(a, workload, modes[m], mib, &s[m][run]) != 0)
                return -1;
        }
    }
    for (k = 0; k < n; k++)
        out[which[k]] = median_of(s[which[k]], runs);
    return 0;
}

static double reclaim(const struct sample *s)
{
    double reclaimable = s->freed_kib - s->limit_kib;
    return reclaimable > 0 ? (s->freed_kib - s->after_kib) / reclaimable : 0;
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

/* Resident size per workload and mode, as grouped horizontal bars. */
static void write_svg(const char *path, struct sample res[][WORKLOADS][MODES],
                      const int *have)
{
    static const char *const colors[MODES] = {"#bbbbbb", "#2b6cb0", "#dd6b20",
                                              "#9f7aea"};
    const int left = 190, width = 560, bar = 9, group = MODES * bar + 12;
    double max = 1;
    size_t a, w;
    int m, y = 40, groups = 0;
    FILE *out = fopen(path, "w");

    if (out == NULL) {
        perror(path);
        return;
    }
    for (a = 0; a < ALLOCATORS; a++)
        for (w = 0; have[a] && w < WORKLOADS; w++) {
            groups++;
            for (m = 0; m < MODES; m++)
                if (res[a][w][m].freed_kib > max)
                    max = res[a][w][m].freed_kib;
        }
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
            "<text x=\"10\" y=\"18\" font-size=\"13\">Resident MiB per "
            "allocator and workload; black tick: page-level limit</text>\n",
            left + width + 80, 60 + groups * group);
    for (m = 0; m < MODES; m++)
        fprintf(out,
                "<rect x=\"%d\" y=\"26\" width=\"10\" height=\"8\" "
                "fill=\"%s\"/><text x=\"%d\" y=\"34\">%s</text>\n",
                left + m * 90, colors[m], left + m * 90 + 14, modes[m]);
    for (a = 0; a < ALLOCATORS; a++) {
        for (w = 0; have[a] && w < WORKLOADS; w++) {
            double lx = left + width * res[a][w][1].limit_kib / max;
            fprintf(
                out,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s %s</text>\n",
                left - 6, y + 2 * bar, allocator_name(&allocators[a]),
                workloads[w].name);
            for (m = 0; m < MODES; m++) {
                double kib = res[a][w][m].after_kib;
                if (kib <= 0)
                    continue; /* not measured for this allocator */
                fprintf(out,
                        "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                        "fill=\"%s\"/><text x=\"%.1f\" y=\"%d\">%.0f</text>\n",
                        left, y + m * bar, width * kib / max, bar - 1,
                        colors[m], left + width * kib / max + 3,
                        y + m * bar + bar - 1, kib / 1024);
            }
            fprintf(out,
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" "
                    "stroke=\"black\" stroke-width=\"2\"/>\n",
                    lx, lx, y - 2, y + MODES * bar);
            y += group;
        }
    }
    fprintf(out, "</svg>\n");
    fclose(out);
}

int main(int argc, char **argv)
{
    static struct sample res[ALLOCATORS][WORKLOADS][MODES];
    static const int all_modes[] = {0, 1, 2, 3}, trims[] = {1, 2};
    double mib = 256, quick_mib = 32, grow_from = 64, grow_to = 1024;
    const char *csv = NULL;
    int have[ALLOCATORS], runs = 5, quick = 0, i, step = 0, steps;
    size_t a, w;
    double g;
    FILE *out = NULL;

    if (argc == 5 && strcmp(argv[1], "--child") == 0)
        return child(argv[2], argv[3], atof(argv[4]));
    if (argc == 5 && strcmp(argv[1], "--auto-child") == 0)
        return timeline_child(argv[2], argv[3], atof(argv[4]));
    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], "--auto") == 0)
            return timeline_main(argc, argv);
    for (i = 1; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = (int)strtol(argv[++i], &end, 10);
            if (*end != '\0' || runs < 1 || runs > MAX_RUNS) {
                fprintf(stderr, "heapmin-bench: --runs takes 1 to %d\n",
                        MAX_RUNS);
                return 2;
            }
        } else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
            mib = strtod(argv[++i], &end);
            if (*end != '\0' || !(mib >= 1 && mib <= 65536)) {
                fprintf(stderr,
                        "heapmin-bench: --size takes 1 to 65536 (MiB)\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc) {
            csv = argv[++i];
        } else {
            fprintf(stderr, "heapmin-bench: bad argument '%s'\n%s", argv[i],
                    usage);
            return 2;
        }
    }
    if (quick) {
        mib = quick_mib;
        runs = runs < 3 ? runs : 3;
        grow_from = 16;
        grow_to = 64;
    }
    if (csv != NULL) {
        out = fopen(csv, "w");
        if (out == NULL) {
            fprintf(stderr, "heapmin-bench: cannot write %s: %s\n", csv,
                    strerror(errno));
            return 2;
        }
        fprintf(out,
                "workload,allocator,mode,limit_kib,freed_kib,after_kib,ms\n");
    }

    steps = (int)(WORKLOADS * (MODES - 1 + (ALLOCATORS - 1) * MODES)) * runs;
    for (g = grow_from; g <= grow_to; g *= 2)
        steps += 2 * runs;
    printf(
        "heapmin %s (backend %s): %g MiB per workload, medians of %d runs\n\n",
        heapmin_version(), heapmin_backend(), mib, runs);
    printf("MiB resident after the frees (none), after heapmin(), after the "
           "allocator's own call (direct),\nafter glibc's malloc_trim(0) "
           "under a preloaded allocator; reclaimed: share of what was above "
           "the page-level limit\n\n");
    printf("%-9s %-10s %7s %7s %7s %7s %7s %7s  %15s %9s %19s\n", "allocator",
           "workload", "limit", "freed", "none", "heapmin", "direct", "m_trim",
           "reclaimed h / d", "after h/d", "ms h / d (ratio)");
    for (a = 0; a < ALLOCATORS; a++) {
        have[a] = a == 0 || strcmp(allocators[a].name, live_names[0]) != 0;
        if (!have[a]) {
            steps -= (int)(WORKLOADS * MODES) * runs;
            continue; /* the program is linked with it: row 0 has it */
        }
        for (w = 0; w < WORKLOADS && have[a]; w++) {
            struct sample *r = res[a][w];
            /* malloc_trim mode only where another allocator is preloaded. */
            int n = allocators[a].preload != NULL ? MODES : MODES - 1;
            if (measure_modes(&allocators[a], workloads[w].name, mib, runs,
                              all_modes, n, r, &step, steps) != 0) {
                have[a] = 0;
                break;
            }
            progress_done();
            printf("%-9s %-10s %7.1f %7.1f %7.1f %7.1f %7.1f ",
                   allocator_name(&allocators[a]), workloads[w].name,
                   r[1].limit_kib / 1024, r[1].freed_kib / 1024,
                   r[0].after_kib / 1024, r[1].after_kib / 1024,
                   r[2].after_kib / 1024);
            if (n == MODES)
                printf("%7.1f", r[3].after_kib / 1024);
            else
                printf("%7s", "-");
            printf("  %6.1f%% / %5.1f%% %9.3f %7.2f / %6.2f (%.2f)\n",
                   100 * reclaim(&r[1]), 100 * reclaim(&r[2]),
                   ratio(r[1].after_kib, r[2].after_kib), r[1].ms, r[2].ms,
                   ratio(r[1].ms, r[2].ms));
            for (i = 0; out != NULL && i < n; i++)
                fprintf(out, "%s,%s,%s,%.0f,%.0f,%.0f,%.3f\n",
                        workloads[w].name, allocator_name(&allocators[a]),
                        modes[i], r[i].limit_kib, r[i].freed_kib,
                        r[i].after_kib, r[i].ms);
        }
        if (!have[a] && a == 0) {
            fprintf(stderr,
                    "heapmin-bench: no measurement came back; is "
                    "malloc in a shared object (not a static binary)?\n");
            return 1;
        }
        if (!have[a]) {
            progress_done();
            printf("%-9s (not installed: %s could not be preloaded; skipped)\n",
                   allocators[a].name, allocators[a].preload);
            steps -= (int)(WORKLOADS * MODES) * runs;
        }
    }

    printf("\ntrim time against heap size (small-10, %s):\n", live_names[0]);
    printf("%8s %12s %12s %8s\n", "MiB", "heapmin ms", "direct ms", "ratio");
    for (g = grow_from; g <= grow_to; g *= 2) {
        struct sample r[MODES];
        char name[32];
        if (measure_modes(&allocators[0], "small-10", g, runs, trims, 2, r,
                          &step, steps) != 0) {
            fprintf(stderr, "\nheapmin-bench: a child failed\n");
            return 1;
        }
        progress_done();
        printf("%8.0f %12.2f %12.2f %8.2f\n", g, r[1].ms, r[2].ms,
               ratio(r[1].ms, r[2].ms));
        snprintf(name, sizeof name, "grow-%.0f", g);
        for (i = 1; out != NULL && i <= 2; i++)
            fprintf(out, "%s,%s,%s,%.0f,%.0f,%.0f,%.3f\n", name, live_names[0],
                    modes[i], r[i].limit_kib, r[i].freed_kib, r[i].after_kib,
                    r[i].ms);
    }
    /*
     * What a synchronous heapmin() costs the program's other threads: glibc
     * holds an arena's lock for the whole trim of that arena.
     */
    printf("\nworst malloc/free pair in another thread during heapmin() "
           "(small-10, %g MiB,\nthe thread that filled the heap; median of "
           "%d runs):\n%-10s %10s\n",
           quick ? quick_mib : mib, runs, "allocator", "stall ms");
    for (a = 0; a < ALLOCATORS; a++) {
        double stall[MAX_RUNS];
        int n = 0;
        if (!have[a])
            continue;
        for (i = 0; i < runs; i++) {
            struct sample s;
            if (measure(&allocators[a], "small-10", "stall",
                        quick ? quick_mib : mib, &s) == 0)
                stall[n++] = s.ms;
        }
        if (n == 0)
            continue;
        printf("%-10s %10.2f\n", allocator_name(&allocators[a]),
               median(stall, n));
        if (out != NULL)
            fprintf(out, "stall-10,%s,stall,0,0,0,%.3f\n",
                    allocator_name(&allocators[a]), median(stall, n));
    }
    if (out != NULL) {
        char svg[4096];
        size_t len = strlen(csv);
        fclose(out);
        /* bench.csv gets bench.svg beside it; any other name, NAME.svg. */
        if (len > 4 && strcmp(csv + len - 4, ".csv") == 0)
            len -= 4;
        snprintf(svg, sizeof svg, "%.*s.svg", (int)len, csv);
        write_svg(svg, res, have);
        printf("\nwrote %s and %s\n", csv, svg);
    }
    return 0;
}
