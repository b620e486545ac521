/*
 * Private to the preload agent: agent.c (start-up, fork, the trims and their
 * log) and control.c (the control socket, served on the agent's thread).
 */
#ifndef HEAPMIN_AGENT_AGENT_H
#define HEAPMIN_AGENT_AGENT_H

#include <stddef.h>

/* One line on stderr, "heapmin: " first: the agent's only output. */
void heapmin__agent_say(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Trims now, for `heapmin trim`: the reply's key=value lines into out. */
void heapmin__agent_trim(char *out, size_t size);
/* The agent's stats, for `heapmin status`, as key=value lines. */
void heapmin__agent_status(char *out, size_t size);

/*
 * Makes the control socket (channel.h) for this process and serves it, on
 * the agent's thread, until the process ends; xdg is XDG_RUNTIME_DIR as
 * the program started with it, or NULL. Returns only if the socket cannot
 * be made (after saying why) or accept() fails for good.
 */
void heapmin__control_serve(const char *xdg);
/* Around fork: the child closes its copy of the parent's socket. */
void heapmin__control_prefork(void);
void heapmin__control_postfork_parent(void);
void heapmin__control_postfork_child(void);
/* At exit: removes this process's socket. */
void heapmin__control_remove(void);

#endif
