/*
 * Private to the preload agent: agent.c (start-up, its trimmer, fork, the
 * trims and their log), control.c (the control socket, served on the
 * trimmer's thread), room.c (limits on threads) and unshare.c (calls that
 * need heapmin's thread gone).
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

/*
 * Whether the program has room for the agent's thread (room.c): 1, or 0
 * with why ("RLIMIT_NPROC is 64") in why. Without whole, only what is
 * cheap to read in a process that has just started.
 */
int heapmin__agent_room(int whole, char *why, size_t size);

/*
 * Stops the agent's trimmer and waits for its thread to end, so that the program is as single-threaded as it would be
 * without the agent; heapmin__agent_resume() starts them again. Nestable,
 * from any of the program's threads.
 */
void heapmin__agent_pause(void);
void heapmin__agent_resume(void);

/* Answers a request ("trim" or "status") with key=value lines. */
typedef void (*heapmin__control_fn)(const char *request, char *reply,
                                    size_t size);

/* xdg: XDG_RUNTIME_DIR as the program started with it, or NULL. */
void heapmin__control_init(const char *xdg);
/*
 * One turn of the trimmer's wait: makes the control socket if there is
 * none (channel.h), then waits up to timeout_ms for a connection and
 * answers it with serve. Returns at once after heapmin__control_interrupt()
 * until the next heapmin__control_begin().
 */
void heapmin__control_wait(int timeout_ms, heapmin__control_fn serve);
void heapmin__control_begin(void);
/* Wakes a wait at once, from another thread; the socket is then spent:
 * heapmin__control_remove() it, and a wait after the next begin makes
 * another. */
void heapmin__control_interrupt(void);
/* Around fork: the child closes its copy of the parent's socket. */
void heapmin__control_prefork(void);
void heapmin__control_postfork_parent(void);
void heapmin__control_postfork_child(void);
/* Removes this process's socket; the next wait makes another. */
void heapmin__control_remove(void);
/* At exit: removes it for good, also one being made meanwhile. */
void heapmin__control_end(void);

#endif
