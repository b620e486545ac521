/* CHECK(cond): reports a failed condition and counts it; the test goes on. */
#ifndef HEAPMIN_TESTS_CHECK_H
#define HEAPMIN_TESTS_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
            failures++;                                                        \
        }                                                                      \
    } while (0)

#endif
