/*
 * What heapmin_backend() and heapmin() should say in this process, worked
 * out without heapmin: from the build's trim_backend (EXPECTED_BACKEND, set
 * by meson, with KNOWN_ALLOCATORS, the allocators detection knows) and, on
 * POSIX, from which object serves malloc (direct.c, found without heapmin).
 */
#ifndef HEAPMIN_TESTS_EXPECT_H
#define HEAPMIN_TESTS_EXPECT_H

#include <errno.h>
#include <string.h>

#if !defined(_WIN32)
#include "direct.h"
#endif

struct expect {
    char backend[64]; /* the whole heapmin_backend() string */
    int rc;           /* 0 or -1 */
    int error;        /* errno after a failing call */
};

/* Whether word is one of the space-separated words of list. */
static inline int listed(const char *list, const char *word)
{
    size_t n = strlen(word);

    for (; *list != '\0'; list += strcspn(list, " "), list += *list == ' ')
        if (strncmp(list, word, n) == 0 && (list[n] == ' ' || list[n] == '\0'))
            return 1;
    return 0;
}

/* Whether backend's first word is mechanism. */
static inline int is_mechanism(const char *backend, const char *mechanism)
{
    size_t n = strlen(mechanism);
    return strncmp(backend, mechanism, n) == 0 &&
           (backend[n] == ' ' || backend[n] == '\0');
}

static inline struct expect expected(void)
{
    struct expect e;
    const char *build = EXPECTED_BACKEND;
    const char *live = "unknown";
    const char *mechanism = build;

#if !defined(_WIN32)
    if (strcmp(build, "stub") != 0)
        live = direct_allocator(); /* "unknown": a static binary */
#endif
    if (strcmp(live, "glibc") == 0)
        live = "malloc_trim"; /* glibc's own call */
    e.rc = 0;
    e.error = 0;
    if (strcmp(build, "detect") == 0) {
        int known = listed(KNOWN_ALLOCATORS, live);
        if (strcmp(live, "unknown") == 0) {
            strcpy(e.backend, "malloc_trim (static binary)");
            return e;
        }
        mechanism = known ? live : "none";
        strcpy(e.backend, mechanism);
        strcat(e.backend, " (detected)");
    } else {
        strcpy(e.backend, build);
        strcat(e.backend, " (built in)");
        /*
         * Backends that call the system's own interface (or nothing) look
         * for no allocator: the rest check the one they link.
         */
        int checks_live =
            strcmp(build, "stub") != 0 && strcmp(build, "win32") != 0 &&
            strcmp(build, "mallopt") != 0 && strcmp(build, "malloc_zone") != 0;

        if (checks_live && strcmp(live, "unknown") != 0 &&
            strcmp(live, build) != 0) {
            e.rc = -1; /* linked, but not the process's malloc */
            e.error = ENOTSUP;
        }
    }
    if (strcmp(mechanism, "stub") == 0 || strcmp(mechanism, "none") == 0) {
        e.rc = -1;
        e.error = ENOSYS;
    }
    return e;
}

#endif
