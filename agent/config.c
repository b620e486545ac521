/*
 * HEAPMIN_AUTO's parser. It reads the environment of programs that never
 * asked for heapmin, so it trusts nothing: numbers are parsed by hand (no
 * locale, no "inf", "nan" or hex that strtod would take), and what an error
 * message quotes is escaped and cut short so that it stays one line.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MICRO 1000000ull

/* Copies s[0..n) into out for a message: printable ASCII, else \xNN. */
static void quote(char *out, size_t size, const char *s, size_t n)
{
    size_t o = 0, i;

    for (i = 0; i < n && o + 8 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
    }
    if (i < n && o + 4 <= size)
        o += (size_t)snprintf(out + o, size - o, "...");
    out[o] = '\0';
}

static int fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* "12", "0.5", "3." are numbers; the value comes back in millionths. */
static int decimal(const char *s, size_t n, unsigned long long *micro)
{
    unsigned long long whole = 0, frac = 0, scale = MICRO;
    size_t i = 0;

    if (n == 0 || s[0] < '0' || s[0] > '9')
        return -1;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (whole > 1000000000ull)
            return -1; /* far beyond every limit below */
        whole = whole * 10 + (unsigned)(s[i] - '0');
    }
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (scale > 1) {
                scale /= 10;
                frac += (unsigned)(s[i] - '0') * scale;
            }
    if (i != n)
        return -1;
    *micro = whole * MICRO + frac;
    return 0;
}

/* Bytes, with an optional binary suffix: 65536, 512k, 8M, 1g. */
static int bytes(const char *s, size_t n, heapmin_int64 *out)
{
    unsigned long long v = 0, unit = 1;
    size_t i;

    if (n > 0) {
        switch (s[n - 1]) {
        case 'k':
        case 'K':
            unit = 1ull << 10;
            n--;
            break;
        case 'm':
        case 'M':
            unit = 1ull << 20;
            n--;
            break;
        case 'g':
        case 'G':
            unit = 1ull << 30;
            n--;
            break;
        }
    }
    if (n == 0 || n > 12)
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    /* 1 TiB is more than any heap a trim threshold is about. */
    if (v == 0 || v > (1ull << 40) / unit)
        return -1;
    *out = (heapmin_int64)(v * unit);
    return 0;
}

static int on_off(const char *s, size_t n, int *out)
{
    if (n == 2 && memcmp(s, "on", 2) == 0)
        *out = 1;
    else if (n == 3 && memcmp(s, "off", 3) == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

static int is(const char *key, size_t n, const char *name)
{
    return strlen(name) == n && memcmp(key, name, n) == 0;
}

/* One key=value item; 0, or -1 with err filled. */
static int item(const char *key, size_t klen, const char *val, size_t vlen,
                struct heapmin__agent_config *c, char *err, size_t len)
{
    char k[64], v[64];
    unsigned long long micro;
    int flag;

    quote(k, sizeof k, key, klen);
    quote(v, sizeof v, val, vlen);
    if (is(key, klen, "interval")) {
        if (decimal(val, vlen, &micro) != 0 || micro < 1000 ||
            micro > 86400 * MICRO)
            return fail(err, len,
                        "interval=\"%s\": give seconds from 0.001 to 86400", v);
        c->trimmer.interval_ms = (unsigned)(micro / 1000);
    } else if (is(key, klen, "budget")) {
        if (decimal(val, vlen, &micro) != 0 || micro == 0 ||
            micro > 100 * MICRO)
            return fail(err, len,
                        "budget=\"%s\": give a percentage of one CPU, above 0 "
                        "and at most 100",
                        v);
        c->trimmer.cpu_budget = (double)micro / (100.0 * MICRO);
    } else if (is(key, klen, "min_release")) {
        if (bytes(val, vlen, &c->trimmer.min_release) != 0)
            return fail(err, len,
                        "min_release=\"%s\": give bytes from 1 to 1T, as "
                        "65536, 512k, 8M or 1G",
                        v);
    } else if (is(key, klen, "max_stall")) {
        if (decimal(val, vlen, &micro) != 0 || micro % MICRO != 0 ||
            micro == 0 || micro > 86400000ull * MICRO)
            return fail(err, len,
                        "max_stall=\"%s\": give whole milliseconds from 1 to "
                        "86400000",
                        v);
        c->trimmer.max_stall_ms = (unsigned)(micro / MICRO);
    } else if (is(key, klen, "pressure")) {
        if (on_off(val, vlen, &flag) != 0)
            return fail(err, len, "pressure=\"%s\": give on or off", v);
        c->trimmer.flags = flag ? 0 : HEAPMIN_AUTO_NO_PRESSURE;
    } else if (is(key, klen, "control")) {
        if (on_off(val, vlen, &c->control) != 0)
            return fail(err, len, "control=\"%s\": give on or off", v);
    } else if (is(key, klen, "log")) {
        if (vlen == 0 || vlen >= sizeof c->log_path ||
            memchr(val, '\0', vlen) != NULL)
            return fail(err, len,
                        "log=\"%s\": give stderr, off or a file path (at most "
                        "255 bytes)",
                        v);
        c->log = is(val, vlen, "stderr") ? HEAPMIN__LOG_STDERR
                 : is(val, vlen, "off")  ? HEAPMIN__LOG_OFF
                                         : HEAPMIN__LOG_FILE;
        memcpy(c->log_path, val, vlen);
        c->log_path[vlen] = '\0';
    } else {
        return fail(err, len,
                    "unknown key \"%s\" (known: interval, budget, "
                    "min_release, max_stall, pressure, log, control)",
                    k);
    }
    return 0;
}

int heapmin__agent_parse(const char *text, struct heapmin__agent_config *out,
                         char *err, size_t len)
{
    const char *p = text;

    memset(out, 0, sizeof *out);
    out->trimmer.size = sizeof out->trimmer;
    out->control = 1;
    if (len > 0)
        err[0] = '\0';
    while (*p != '\0') {
        const char *end = strchr(p, ','), *eq;
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        char q[64];

        eq = memchr(p, '=', n);
        if (n == 0)
            return fail(err, len, "an empty item (a comma too many)");
        if (eq == NULL || eq == p) {
            quote(q, sizeof q, p, n);
            return fail(err, len, "\"%s\" is not key=value", q);
        }
        if (item(p, (size_t)(eq - p), eq + 1, n - (size_t)(eq - p) - 1, out,
                 err, len) != 0)
            return -1;
        p += n;
        if (*p == ',' && *++p == '\0')
            return fail(err, len, "an empty item (a comma too many)");
    }
    return 0;
}
