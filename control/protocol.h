/*
 * What the agent and the command say over the control socket, in one
 * place: the requests, the reply's keys, and how both are written and read.
 *
 * The client sends one line, a request's name. The agent answers with
 * key=value lines, one per field of struct heapmin__reply that the request
 * fills (or only "error=..." when it refuses), then the line "end": a fork
 * child of the agent's process may hold a copy of the connection, so the
 * client cannot wait for the end of file. A reader ignores keys it does not
 * know, so that a newer agent still answers an older command.
 */
#ifndef HEAPMIN_CONTROL_PROTOCOL_H
#define HEAPMIN_CONTROL_PROTOCOL_H

#include <stddef.h>

/* The largest request or reply line, and the longest reply. */
#define HEAPMIN__PROTOCOL_LINE 512
#define HEAPMIN__PROTOCOL_REPLY 4096

enum heapmin__request {
    HEAPMIN__REQUEST_TRIM = 1,   /* "trim": trim now, say what was released */
    HEAPMIN__REQUEST_STATUS = 2, /* "status": the trimmer's state and counts */
};

/* The request a line names (its newline excluded), or 0 if none. */
int heapmin__request_parse(const char *line);
/* "trim", "status". */
const char *heapmin__request_name(int request);

/*
 * A reply. A field keeps its meaning in every reply that has it; released
 * is the one trim's (trim) or the automatic trims' total (status).
 */
struct heapmin__reply {
    char error[256]; /* set: the request was refused, nothing else is */
    /* both */
    char backend[128];
    long long released;
    /* trim */
    char failed[128]; /* the trim's error as a sentence, "" on success */
    long long before, after, elapsed_ns;
    /* status: the agent, its configuration */
    char version[32];
    long long resident, running, interval_ms, min_release, pressure_on;
    double budget; /* percent of one CPU */
    long long max_stall_ms, holds_lock; /* 0, 0 from an agent before 0.4 */
    char log[256]; /* "off", "stderr" or a path */
    /* status: the automatic trims */
    long long checks, trims, trim_ns, count_ns, deferred;
    long long trim_cpu_ns, count_wall_ns, credit_ns, quiet_waits;
    long long next_release, next_predicted_ns, last_predicted_ns; /* -1 */
    /* status: the requested trims and the last trim (last_ago_ns -1: none) */
    long long requests, request_released, request_ns;
    long long last_ago_ns, last_released, last_elapsed_ns;
    char last_why[16];
    char pressure[256]; /* as heapmin_auto_stats() says */
};

/*
 * Writes r as request's answer into out (at most size bytes, always
 * terminated), ending with the "end" line however long the rest came out.
 * Allocates nothing.
 */
void heapmin__reply_write(const struct heapmin__reply *r, int request,
                          char *out, size_t size);

/* Whether the first got bytes of a reply are all of it (up to "end"). */
int heapmin__reply_complete(const char *text, size_t got);

/* Reads a reply's key=value lines into r (fields not given are zero). */
void heapmin__reply_read(const char *text, struct heapmin__reply *r);

#endif
