/*
 * heapmin, the command: trims programs that never call heapmin. `run`
 * starts one with the preload agent (agent/), `trim` and `status` talk to a
 * running agent over its control socket.
 */
#include <stdio.h>
#include <string.h>

#include "../control/protocol.h"
#include "commands.h"

static const char usage[] =
    "usage: heapmin run [OPTIONS] [--] PROGRAM [ARGS...]\n"
    "       heapmin trim PID\n"
    "       heapmin status PID\n"
    "       heapmin --version | --help\n"
    "\n"
    "run: runs PROGRAM with automatic trimming (the preload agent\n"
    "libheapmin-auto.so; its children get their own). Options:\n"
    "  --interval S     longest time between two checks, seconds (default 1)\n"
    "  --budget PCT     share of one CPU trimming may take (default 0.5)\n"
    "  --max-stall MS   a longer glibc trim waits for an idle program\n"
    "                   (default 250)\n"
    "  --log FILE|-     log each trim to FILE, or to stderr with -\n"
    "  --no-pressure    ignore memory-pressure notifications\n"
    "  --no-control     no control socket: trim and status will not reach it\n"
    "trim: asks PID's agent to trim now and prints what was released.\n"
    "status: prints PID's agent's configuration and trims.\n";

/* Prints the usage on stderr, after the problem if there is one. */
static int usage_error(const char *problem)
{
    if (problem != NULL && problem[0] != '\0')
        fprintf(stderr, "heapmin: %s\n", problem);
    fputs(usage, stderr);
    return HEAPMIN__EXIT_USAGE;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;
    char problem[8192] = ""; /* room for a quoted path (PATH_MAX) */
    int rc;

    if (cmd == NULL)
        return usage_error(NULL);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("heapmin %s\n", HEAPMIN_COMMAND_VERSION);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        rc = heapmin__run(argc - 2, argv + 2, problem, sizeof problem);
    else if (strcmp(cmd, "trim") == 0)
        rc = heapmin__ask(HEAPMIN__REQUEST_TRIM, argc - 2, argv + 2, problem,
                          sizeof problem);
    else if (strcmp(cmd, "status") == 0)
        rc = heapmin__ask(HEAPMIN__REQUEST_STATUS, argc - 2, argv + 2,
                          problem, sizeof problem);
    else {
        snprintf(problem, sizeof problem, "unknown command \"%s\"", cmd);
        rc = HEAPMIN__EXIT_USAGE;
    }
    return rc == HEAPMIN__EXIT_USAGE ? usage_error(problem) : rc;
}
