/*
 * The agent's configuration: the HEAPMIN_AUTO string, a comma-separated
 * key=value list (as MALLOC_CONF and GODEBUG are), parsed in one place for
 * the agent and for `heapmin run`, which checks its options with it.
 */
#ifndef HEAPMIN_AGENT_CONFIG_H
#define HEAPMIN_AGENT_CONFIG_H

#include <stddef.h>

#include "heapmin.h"

#define HEAPMIN__LOG_OFF 0
#define HEAPMIN__LOG_STDERR 1
#define HEAPMIN__LOG_FILE 2

struct heapmin__agent_config {
    struct heapmin_auto_config trimmer; /* 0 fields: the library's default */
    int log;                            /* HEAPMIN__LOG_* */
    char log_path[256];                 /* with HEAPMIN__LOG_FILE */
    int control;                        /* 1: the control socket (default) */
};

/*
 * Parses text (the whole HEAPMIN_AUTO value; empty: every default) into out.
 * Returns 0, or -1 with one line in err (no newline) that names what is
 * wrong: "unknown key \"intervl\"", "interval=0: ...". Keys: interval
 * (seconds, decimals allowed), budget (percent of one CPU), min_release
 * (bytes, with k, m or g), pressure (on|off), log (stderr, off or a path),
 * control (on|off). A key given twice keeps the last value.
 */
int heapmin__agent_parse(const char *text, struct heapmin__agent_config *out,
                         char *err, size_t len);

#endif
