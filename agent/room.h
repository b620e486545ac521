/* Limits on threads that leave the program no room for the agent's (room.c). */
#ifndef HEAPMIN_AGENT_ROOM_H
#define HEAPMIN_AGENT_ROOM_H

#include <stddef.h>

/*
 * Whether the program has room for the agent's thread: 1, or 0 with why
 * ("RLIMIT_NPROC is 64") in why. Without whole, only what is cheap to read
 * in a process that has just started.
 */
int heapmin__agent_room(int whole, char *why, size_t size);

#endif
