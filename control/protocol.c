/*
 * The control protocol's one list of keys (fields[]), from which both the
 * agent's replies are written and the command's are read.
 */
#include "protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRIM (1 << HEAPMIN__REQUEST_TRIM)
#define STATUS (1 << HEAPMIN__REQUEST_STATUS)

static const char *const requests[] = {NULL, "trim", "status"};

enum kind { TEXT, COUNT, REAL };

static const struct field {
    const char *key;
    enum kind kind;
    size_t offset, size;
    int in; /* the requests whose replies carry it */
} fields[] = {
#define F(name, kind, in)                                                      \
    {#name, kind, offsetof(struct heapmin__reply, name),                       \
     sizeof(((struct heapmin__reply *)0)->name), in}
    F(version, TEXT, STATUS),
    F(backend, TEXT, TRIM | STATUS),
    F(failed, TEXT, TRIM),
    F(before, COUNT, TRIM),
    F(after, COUNT, TRIM),
    F(released, COUNT, TRIM | STATUS),
    F(elapsed_ns, COUNT, TRIM),
    F(resident, COUNT, STATUS),
    F(running, COUNT, STATUS),
    F(interval_ms, COUNT, STATUS),
    F(budget, REAL, STATUS),
    F(min_release, COUNT, STATUS),
    F(max_stall_ms, COUNT, STATUS),
    F(holds_lock, COUNT, STATUS),
    F(pressure_on, COUNT, STATUS),
    F(log, TEXT, STATUS),
    F(checks, COUNT, STATUS),
    F(trims, COUNT, STATUS),
    F(trim_ns, COUNT, STATUS),
    F(count_ns, COUNT, STATUS),
    F(deferred, COUNT, STATUS),
    F(trim_cpu_ns, COUNT, STATUS),
    F(count_wall_ns, COUNT, STATUS),
    F(credit_ns, COUNT, STATUS),
    F(quiet_waits, COUNT, STATUS),
    F(next_release, COUNT, STATUS),
    F(next_predicted_ns, COUNT, STATUS),
    F(last_predicted_ns, COUNT, STATUS),
    F(requests, COUNT, STATUS),
    F(request_released, COUNT, STATUS),
    F(request_ns, COUNT, STATUS),
    F(last_ago_ns, COUNT, STATUS),
    F(last_why, TEXT, STATUS),
    F(last_released, COUNT, STATUS),
    F(last_elapsed_ns, COUNT, STATUS),
    F(pressure, TEXT, STATUS),
    F(error, TEXT, 0), /* written alone, for any request */
#undef F
};
#define NFIELDS (sizeof fields / sizeof fields[0])

int heapmin__request_parse(const char *line)
{
    int i;

    for (i = 1; i < (int)(sizeof requests / sizeof requests[0]); i++)
        if (strcmp(line, requests[i]) == 0)
            return i;
    return 0;
}

const char *heapmin__request_name(int request)
{
    return request == HEAPMIN__REQUEST_TRIM     ? requests[1]
           : request == HEAPMIN__REQUEST_STATUS ? requests[2]
                                                : "";
}

/* Appends one key=value line; a value never holds a newline. */
static size_t put(char *out, size_t size, size_t n, const struct field *f,
                  const struct heapmin__reply *r)
{
    const char *at = (const char *)r + f->offset;
    int w;

    if (n >= size)
        return n;
    if (f->kind == TEXT)
        w = snprintf(out + n, size - n, "%s=%.*s\n", f->key,
                     (int)strcspn(at, "\n"), at);
    else if (f->kind == COUNT)
        w = snprintf(out + n, size - n, "%s=%lld\n", f->key,
                     *(const long long *)(const void *)at);
    else
        w = snprintf(out + n, size - n, "%s=%g\n", f->key,
                     *(const double *)(const void *)at);
    return w > 0 ? n + (size_t)w : n;
}

void heapmin__reply_write(const struct heapmin__reply *r, int request,
                          char *out, size_t size)
{
    size_t n = 0, i;

    out[0] = '\0';
    if (r->error[0] != '\0') {
        n = put(out, size, n, &fields[NFIELDS - 1], r);
    } else {
        for (i = 0; i < NFIELDS; i++)
            if (fields[i].in & (1 << request))
                n = put(out, size, n, &fields[i], r);
    }
    /* Room for the closing line, however long the reply came out. */
    if (n > size - sizeof "end\n")
        n = size - sizeof "end\n";
    strcpy(out + n, "end\n");
}

int heapmin__reply_complete(const char *text, size_t got)
{
    return (got == 4 && memcmp(text, "end\n", 4) == 0) ||
           (got >= 5 && memcmp(text + got - 5, "\nend\n", 5) == 0);
}

void heapmin__reply_read(const char *text, struct heapmin__reply *r)
{
    const char *p = text;
    size_t i;

    memset(r, 0, sizeof *r);
    for (; *p != '\0'; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0)) {
        size_t len = strcspn(p, "\n"), k = strcspn(p, "=\n");
        const char *v = p + k + 1;

        if (p[k] != '=')
            continue;
        for (i = 0; i < NFIELDS; i++) {
            const struct field *f = &fields[i];
            char *at = (char *)r + f->offset;

            if (strlen(f->key) != k || strncmp(p, f->key, k) != 0)
                continue;
            if (f->kind == TEXT)
                snprintf(at, f->size, "%.*s", (int)(len - k - 1), v);
            else if (f->kind == COUNT)
                *(long long *)(void *)at = strtoll(v, NULL, 10);
            else
                *(double *)(void *)at = strtod(v, NULL);
        }
    }
}
