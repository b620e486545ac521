/*
 * HEAPMIN_AUTO's parser (agent/config.c): a table of good and bad strings
 * with what each must give, then a fuzz run. Every result must be either a
 * config within the documented ranges, or a one-line printable message
 * that names the offending item; nothing else, for any input.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"

static int failures;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            failures++;                                                        \
            printf("FAIL line %d: ", __LINE__);                                \
            printf(__VA_ARGS__);                                               \
            printf("\n");                                                      \
        }                                                                      \
    } while (0)

struct good {
    const char *text;
    unsigned interval_ms;
    double budget;
    long long min_release;
    unsigned flags;
    int log, control;
    const char *path;
};

static const struct good goods[] = {
    {"", 0, 0, 0, 0, HEAPMIN__LOG_OFF, 1, ""},
    {"interval=2", 2000, 0, 0, 0, HEAPMIN__LOG_OFF, 1, ""},
    {"interval=0.25,budget=5", 250, 0.05, 0, 0, HEAPMIN__LOG_OFF, 1, ""},
    {"interval=0.001", 1, 0, 0, 0, HEAPMIN__LOG_OFF, 1, ""},
    {"interval=86400", 86400000, 0, 0, 0, HEAPMIN__LOG_OFF, 1, ""},
    {"interval=3.", 3000, 0, 0, 0, HEAPMIN__LOG_OFF, 1, ""},
    {"budget=100", 0, 1, 0, 0, HEAPMIN__LOG_OFF, 1, ""},
    {"budget=0.5", 0, 0.005, 0, 0, HEAPMIN__LOG_OFF, 1, ""},
    {"min_release=8M", 0, 0, 8 << 20, 0, HEAPMIN__LOG_OFF, 1, ""},
    {"min_release=512k", 0, 0, 512 << 10, 0, HEAPMIN__LOG_OFF, 1, ""},
    {"min_release=1G", 0, 0, 1 << 30, 0, HEAPMIN__LOG_OFF, 1, ""},
    {"min_release=65536", 0, 0, 65536, 0, HEAPMIN__LOG_OFF, 1, ""},
    {"pressure=off", 0, 0, 0, HEAPMIN_AUTO_NO_PRESSURE, HEAPMIN__LOG_OFF, 1,
     ""},
    {"pressure=off,pressure=on", 0, 0, 0, 0, HEAPMIN__LOG_OFF, 1, ""},
    {"control=off", 0, 0, 0, 0, HEAPMIN__LOG_OFF, 0, ""},
    {"log=stderr", 0, 0, 0, 0, HEAPMIN__LOG_STDERR, 1, "stderr"},
    {"log=/tmp/x.log,log=off", 0, 0, 0, 0, HEAPMIN__LOG_OFF, 1, "off"},
    {"log=/var/log/heapmin=1.log", 0, 0, 0, 0, HEAPMIN__LOG_FILE, 1,
     "/var/log/heapmin=1.log"},
};

struct bad {
    const char *text;
    const char *names; /* what the message must quote */
};

static const struct bad bads[] = {
    {",", "comma"},
    {"interval=1,", "comma"},
    {",interval=1", "comma"},
    {"interval=1,,budget=2", "comma"},
    {"interval", "\"interval\" is not key=value"},
    {"=5", "\"=5\" is not key=value"},
    {"intervall=1", "unknown key \"intervall\""},
    {"Interval=1", "unknown key \"Interval\""},
    {"interval=0", "interval=\"0\""},
    {"interval=0.0009", "interval=\"0.0009\""},
    {"interval=86400.001", "interval=\"86400.001\""},
    {"interval=-1", "interval=\"-1\""},
    {"interval=1s", "interval=\"1s\""},
    {"interval= 1", "interval=\" 1\""},
    {"interval=inf", "interval=\"inf\""},
    {"interval=nan", "interval=\"nan\""},
    {"interval=0x10", "interval=\"0x10\""},
    {"interval=.5", "interval=\".5\""},
    {"interval=", "interval=\"\""},
    {"interval=99999999999999999999", "interval=\"99999999999999999999\""},
    {"budget=0", "budget=\"0\""},
    {"budget=100.1", "budget=\"100.1\""},
    {"budget=5%", "budget=\"5%\""},
    {"min_release=0", "min_release=\"0\""},
    {"min_release=8MB", "min_release=\"8MB\""},
    {"min_release=2T", "min_release=\"2T\""},
    {"min_release=1025G", "min_release=\"1025G\""},
    {"max_stall=0", "max_stall=\"0\""},
    {"max_stall=0.5", "max_stall=\"0.5\""},
    {"max_stall=86400001", "max_stall=\"86400001\""},
    {"max_stall=50ms", "max_stall=\"50ms\""},
    {"pressure=yes", "pressure=\"yes\""},
    {"control=ON", "control=\"ON\""},
    {"log=", "log=\"\""},
    {"nosuch=\n\x01\"", "unknown key \"nosuch\""},
    {"k\x1b[31m=1", "unknown key \"k\\x1b[31m\""},
};

/* A message is one printable line. */
static int one_line(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

static void check_config(const char *text,
                         const struct heapmin__agent_config *c)
{
    const struct heapmin_auto_config *t = &c->trimmer;

    CHECK(t->size == sizeof *t, "%s: size", text);
    CHECK(t->interval_ms == 0 ||
              (t->interval_ms >= 1 && t->interval_ms <= 86400000),
          "%s: interval_ms %u", text, t->interval_ms);
    CHECK(t->cpu_budget == 0 || (t->cpu_budget > 0 && t->cpu_budget <= 1),
          "%s: budget %g", text, t->cpu_budget);
    CHECK(t->min_release >= 0 && t->min_release <= (1ll << 40),
          "%s: min_release %lld", text, (long long)t->min_release);
    CHECK(t->max_stall_ms <= 86400000, "%s: max_stall_ms %u", text,
          t->max_stall_ms);
    CHECK((t->flags & ~HEAPMIN_AUTO_NO_PRESSURE) == 0, "%s: flags", text);
    CHECK(c->log >= HEAPMIN__LOG_OFF && c->log <= HEAPMIN__LOG_FILE &&
              (c->log != HEAPMIN__LOG_FILE || c->log_path[0] != '\0'),
          "%s: log", text);
    CHECK(c->control == 0 || c->control == 1, "%s: control", text);
}

static unsigned long long next(unsigned long long *s)
{
    *s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

int main(void)
{
    static const char *const keys[] = {"interval", "budget",    "min_release",
                                       "pressure", "log",       "control",
                                       "max_stall"};
    /* max_stall, which the table of goods has no column for. */
    static const struct {
        const char *text;
        unsigned ms;
    } stalls[] = {{"", 0},
                  {"max_stall=1", 1},
                  {"max_stall=200", 200},
                  {"max_stall=3.", 3},
                  {"max_stall=86400000", 86400000},
                  {"max_stall=5,max_stall=70", 70}};
    static const char *const values[] = {
        "on",  "off", "stderr",      "0",   "1",      "0.5", "86400",
        "100", "8M",  "512k",        "1G",  "/tmp/f", "-1",  "",
        " ",   "2.",  "99999999999", "1e3", "x"};
    const size_t nkeys = sizeof keys / sizeof keys[0],
                 nvalues = sizeof values / sizeof values[0];
    struct heapmin__agent_config c;
    char err[256], text[128];
    unsigned long long seed = 0x9e3779b97f4a7c15ull;
    size_t i;
    long ok = 0, refused = 0, n;

    for (i = 0; i < sizeof goods / sizeof goods[0]; i++) {
        const struct good *g = &goods[i];
        int rc = heapmin__agent_parse(g->text, &c, err, sizeof err);
        CHECK(rc == 0, "\"%s\" refused: %s", g->text, err);
        if (rc != 0)
            continue;
        check_config(g->text, &c);
        CHECK(c.trimmer.interval_ms == g->interval_ms, "%s: interval %u",
              g->text, c.trimmer.interval_ms);
        CHECK(c.trimmer.cpu_budget > g->budget - 1e-12 &&
                  c.trimmer.cpu_budget < g->budget + 1e-12,
              "%s: budget %g", g->text, c.trimmer.cpu_budget);
        CHECK(c.trimmer.min_release == g->min_release, "%s: min_release",
              g->text);
        CHECK(c.trimmer.flags == g->flags, "%s: flags", g->text);
        CHECK(c.log == g->log, "%s: log %d", g->text, c.log);
        CHECK(c.control == g->control, "%s: control", g->text);
        CHECK(c.log == HEAPMIN__LOG_OFF && g->log == HEAPMIN__LOG_OFF
                  ? 1
                  : strcmp(c.log_path, g->path) == 0,
              "%s: path %s", g->text, c.log_path);
    }
    for (i = 0; i < sizeof stalls / sizeof stalls[0]; i++) {
        int rc = heapmin__agent_parse(stalls[i].text, &c, err, sizeof err);
        CHECK(rc == 0 && c.trimmer.max_stall_ms == stalls[i].ms,
              "\"%s\": %d, %u ms", stalls[i].text, rc, c.trimmer.max_stall_ms);
    }
    for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        const struct bad *b = &bads[i];
        int rc = heapmin__agent_parse(b->text, &c, err, sizeof err);
        CHECK(rc == -1, "\"%s\" accepted", b->text);
        CHECK(one_line(err), "\"%s\": message not one printable line", b->text);
        CHECK(strstr(err, b->names) != NULL, "\"%s\": \"%s\" does not name %s",
              b->text, err, b->names);
    }
    /*
     * Fuzz: key=value lists from the grammar's own words, some items
     * spliced at random, some bytes replaced by anything.
     */
    for (n = 0; n < 300000; n++) {
        size_t len = 0, items = 1 + next(&seed) % 4, k;
        while (items-- > 0 && len < sizeof text - 40) {
            unsigned long long r = next(&seed);
            const char *key = keys[r % nkeys],
                       *val = values[(r >> 8) % nvalues];
            if ((r >> 16) % 4 == 0)
                key = values[(r >> 20) % nvalues];
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%s%s%s",
                                    len ? "," : "", key,
                                    (r >> 24) % 8 ? "=" : "", val);
        }
        for (k = 0; k < len; k++)
            if (next(&seed) % 40 == 0)
                text[k] = (char)(1 + next(&seed) % 255);
        text[len] = '\0';
        if (heapmin__agent_parse(text, &c, err, sizeof err) == 0) {
            ok++;
            check_config(text, &c);
        } else {
            refused++;
            CHECK(one_line(err) && strlen(err) < sizeof err - 1,
                  "fuzz: bad message for an input of %zu bytes", len);
        }
        if (failures > 20)
            break;
    }
    printf("fuzz: %ld accepted, %ld refused, each checked\n", ok, refused);
    CHECK(ok > 1000 && refused > 1000, "the fuzz must reach both outcomes");
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
