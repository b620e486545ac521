/*
 * Stands in for a test this build cannot run: prints why and skips (77).
 * Usage: skip REASON [VARIABLE]. When the environment sets VARIABLE to 1
 * (the matrix sets HEAPMIN_REQUIRE_ALLOCATORS, having installed everything),
 * the missing piece is a failure instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *required = argc > 2 ? getenv(argv[2]) : NULL;
    int fail = required != NULL && strcmp(required, "1") == 0;

    printf("%s: %s\n", fail ? "FAIL" : "SKIP",
           argc > 1 ? argv[1] : "(no reason given)");
    return fail ? 1 : 77;
}
