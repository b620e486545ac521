/*
 * A guest on the trimmer's thread: the preload agent serves its control
 * socket where the trimmer waits, so that a program run under the agent
 * gets one thread of heapmin's, not two. Not public: the agent is built
 * from the library's own objects (agent/meson.build).
 */
#ifndef HEAPMIN_AUTO_GUEST_H
#define HEAPMIN_AUTO_GUEST_H

#include "../../include/heapmin.h"

struct heapmin__guest {
    /*
     * Called once on the trimmer's thread after the start-up delay, before
     * the trimmer opens anything, with 0 or the errno value that ends it
     * there (ENOSYS, ENOTSUP: nothing to trim with). Returns 0 to go on,
     * or nonzero to end the trimmer all the same. Not called when the
     * trimmer was stopped during the delay.
     */
    int (*begin)(int err);
    /*
     * Where the trimmer would sleep: waits up to timeout_ms on the guest's
     * own descriptors and serves them. NULL: the trimmer sleeps as usual.
     */
    void (*wait)(int timeout_ms);
    /* Makes a wait return at once, from the thread stopping the trimmer. */
    void (*interrupt)(void);
};

/*
 * heapmin_auto_start() for a guest. The thread starts at once but waits
 * delay_ms (or until it is stopped) before it detects the allocator, opens
 * the pressure sources or calls begin: a process that lives less pays for
 * one sleeping thread. With keep_stats the counts of the trimmer that ran
 * before go on (a restart after heapmin_auto_stop()). A wake-up comes to
 * a guest's wait at its next turn, within a second. Returns 0 or an errno
 * value (ENOTSUP where the platform has no guests).
 */
int heapmin__auto_start_guest(const struct heapmin_auto_config *config,
                              const struct heapmin__guest *guest, int delay_ms,
                              int keep_stats);

#endif
