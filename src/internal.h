/*
 * What the portable front (heapmin.c) expects of a backend. Exactly one
 * backend file is built into the library, chosen by meson's trim_backend.
 */
#ifndef HEAPMIN_INTERNAL_H
#define HEAPMIN_INTERNAL_H

struct heapmin__backend {
    /* What heapmin_backend() reports. */
    const char *name;
    /*
     * Trims. Returns 0 on success (also when nothing was free), otherwise
     * the errno value the front reports. Never writes errno itself: the
     * front restores it, so the contract lives in one place.
     */
    int (*trim)(void);
};

/* The backend this build trims with. */
const struct heapmin__backend *heapmin__backend(void);

#endif /* HEAPMIN_INTERNAL_H */
