/* The heapmin command's subcommands (heapmin.c dispatches). */
#ifndef HEAPMIN_PROGRAMS_COMMANDS_H
#define HEAPMIN_PROGRAMS_COMMANDS_H

/* Exit statuses: 1 the request failed, 2 bad usage (as grep and diff). */
#define HEAPMIN__EXIT_FAILED 1
#define HEAPMIN__EXIT_USAGE 2

/* heapmin run [OPTIONS] [--] PROGRAM [ARGS]: returns only on failure. */
int heapmin__run(int argc, char **argv);
/* heapmin trim PID, heapmin status PID. */
int heapmin__ask(const char *request, int argc, char **argv);
/* Prints the usage on stderr; returns HEAPMIN__EXIT_USAGE. */
int heapmin__usage(const char *problem);

#endif
