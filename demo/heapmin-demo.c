/*
 * heapmin-demo: what heapmin gives back after a cache shrinks.
 *
 * A cache fills with small objects, most of them are evicted at random (the
 * survivors pin pages all over the heap), then heapmin_trim() runs. Resident
 * size is printed at each step, with the page-level limit: what a perfect
 * non-moving allocator would keep.
 */
#include "heapmin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frag.h"

#define MIB (1024.0 * 1024.0)

static const char usage[] =
    "usage: heapmin-demo [--size MIB] [--keep FRACTION]\n"
    "\n"
    "Fills a cache with about MIB MiB (default 256) of objects of 16 to 4112\n"
    "bytes, evicts all but FRACTION of them (default 0.1) at random, calls\n"
    "heapmin_trim() and prints resident size at each step.\n";

/* Parses "--name VALUE" or "--name=VALUE"; returns the value or NULL. */
static const char *option(const char *name, int argc, char **argv, int *i)
{
    size_t len = strlen(name);

    if (strncmp(argv[*i], name, len) != 0)
        return NULL;
    if (argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (argv[*i][len] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "heapmin-demo: %s needs a value\n", name);
        exit(2);
    }
    return argv[++*i];
}

static double number(const char *name, const char *text, double min, double max)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= min && v <= max)) {
        fprintf(stderr,
                "heapmin-demo: %s must be a number from %g to %g, not '%s'\n",
                name, min, max, text);
        exit(2);
    }
    return v;
}

static const char *outcome_name(int outcome)
{
    switch (outcome) {
    case HEAPMIN_RELEASED:
        return "released";
    case HEAPMIN_NOTHING_TO_RELEASE:
        return "nothing to release";
    case HEAPMIN_UNMEASURED:
        return "trimmed, resident size unknown here";
    case HEAPMIN_UNSUPPORTED:
        return "this build cannot trim";
    default:
        return "failed";
    }
}

static void row(const char *step, long long bytes, const char *note)
{
    if (bytes < 0)
        printf("  %-28s %10s", step, "unknown");
    else
        printf("  %-28s %6.1f MiB", step, bytes / MIB);
    printf("%s%s\n", *note ? "  " : "", note);
}

int main(int argc, char **argv)
{
    double size_mib = 256, keep = 0.1;
    struct heapmin_report report;
    struct frag f;
    long long start, filled, evicted, limit;
    char label[64];
    int i, rc;

    for (i = 1; i < argc; i++) {
        const char *v;

        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if ((v = option("--size", argc, argv, &i)) != NULL) {
            size_mib = number("--size", v, 1, 65536);
        } else if ((v = option("--keep", argc, argv, &i)) != NULL) {
            keep = number("--keep", v, 0, 1);
        } else {
            fprintf(stderr, "heapmin-demo: unknown argument '%s'\n%s", argv[i],
                    usage);
            return 2;
        }
    }

    printf("heapmin %s, backend %s\n\n", heapmin_version(), heapmin_backend());
    start = frag_resident();
    if (frag_fill(&f, (size_t)(size_mib * MIB), 16, 4112, 1) != 0) {
        fprintf(stderr, "heapmin-demo: out of memory filling %.0f MiB\n",
                size_mib);
        return 1;
    }
    filled = frag_resident();
    frag_evict(&f, keep, 2);
    evicted = frag_resident();

    memset(&report, 0, sizeof report);
    report.size = sizeof report;
    rc = heapmin_trim(&report);
    limit = frag_page_limit(&f, start);

    row("start", start, "");
    sprintf(label, "cache filled (%.0f MiB)", size_mib);
    row(label, filled, "");
    sprintf(label, "%.0f %% evicted", 100 * (1 - keep));
    row(label, evicted, "freed, but still resident");
    row("after heapmin_trim()", report.resident_after, "");
    row("page-level limit", limit, "every page a kept object touches");

    printf("\n%s: %s", heapmin_backend(), outcome_name(report.outcome));
    if (report.released >= 0)
        printf(", %.1f MiB released", report.released / MIB);
    printf(" in %.1f ms", report.elapsed_ns / 1e6);
    if (rc != 0)
        printf(" (%s)", strerror(report.error));
    printf("\n");
    frag_release(&f);
    return rc == 0 || report.outcome == HEAPMIN_UNSUPPORTED ? 0 : 1;
}
