/*
 * The agent's only output: one line on stderr, in one write so that the
 * host's own output does not split it.
 */
#include "say.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void heapmin__agent_say(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n = snprintf(line, sizeof line, "heapmin: ");

    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    n = (int)strlen(line);
    line[n++] = '\n';
    /* One write, so that the line is not split by the host's own output. */
    if (write(2, line, (size_t)n) < 0)
        return;
}
