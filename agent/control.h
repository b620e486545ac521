/*
 * The agent's control socket (control.c), served on the trimmer's thread:
 * it takes the handler that answers a request, and calls nothing above it.
 */
#ifndef HEAPMIN_AGENT_CONTROL_H
#define HEAPMIN_AGENT_CONTROL_H

#include "../control/protocol.h"

/* Fills reply for request (protocol.h); the server writes and sends it. */
typedef void (*heapmin__control_fn)(int request, struct heapmin__reply *reply);

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
