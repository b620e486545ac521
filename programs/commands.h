/* The heapmin command's subcommands (main.c dispatches). */
#ifndef HEAPMIN_PROGRAMS_COMMANDS_H
#define HEAPMIN_PROGRAMS_COMMANDS_H

/* Exit statuses: 1 the request failed, 2 bad usage (as grep and diff). */
#define HEAPMIN__EXIT_FAILED 1
#define HEAPMIN__EXIT_USAGE 2

#include <stddef.h>

/*
 * Each returns the exit status; HEAPMIN__EXIT_USAGE with what is wrong in
 * problem (at most size bytes), for main to print with the usage.
 */

/* heapmin run [OPTIONS] [--] PROGRAM [ARGS]: returns only on failure. */
int heapmin__run(int argc, char **argv, char *problem, size_t size);
/* heapmin trim PID, heapmin status PID: request is protocol.h's. */
int heapmin__ask(int request, int argc, char **argv, char *problem,
                 size_t size);

#endif
