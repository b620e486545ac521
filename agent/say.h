/* The agent's only output (say.c). */
#ifndef HEAPMIN_AGENT_SAY_H
#define HEAPMIN_AGENT_SAY_H

/* One line on stderr, "heapmin: " first. */
void heapmin__agent_say(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
