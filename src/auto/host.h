/*
 * Private to the automatic trimmer. auto.c is the portable front (the API,
 * its state, the loop); each platform's thread and waiting live in one file
 * (posix.c: poll; win32.c: WaitForMultipleObjects), and Linux's memory
 * pressure sources in psi.c.
 */
#ifndef HEAPMIN_AUTO_HOST_H
#define HEAPMIN_AUTO_HOST_H

#include <stddef.h>

#include "../backend.h"

/* Why the trimmer woke up, as bits; 0 is a timeout. */
#define HEAPMIN__WAKE_REQUEST 1u  /* heapmin_auto_request() */
#define HEAPMIN__WAKE_PRESSURE 2u /* a memory-pressure source fired */
#define HEAPMIN__WAKE_CONTROL 4u  /* stop or resume: read the shared state */
#define HEAPMIN__WAKE_STOP 8u     /* with CONTROL: a stop, which a guest hears */

struct heapmin__guest;

/* The lock that guards the front's shared state. */
void heapmin__auto_lock(void);
void heapmin__auto_unlock(void);

/*
 * Sets up the wake-up (once per process, kept so that a signal handler
 * never posts to something gone) and, with pressure set, the
 * memory-pressure sources, describing in desc which are used and which are
 * not. forked is called in a fork child, with the lock held (the child has
 * no trimmer thread: POSIX). Returns 0 or an errno value. Called with the
 * lock held.
 */
int heapmin__waiter_open(int pressure, char *desc, size_t len,
                         void (*forked)(void));
/* Closes the pressure sources (the wake-up channel stays) and forgets the
 * guest. */
void heapmin__waiter_close(void);
/* Lets a guest (guest.h) wait in the trimmer's place from now until
 * heapmin__waiter_close(). Returns 0 or ENOTSUP. Called with the lock held. */
int heapmin__waiter_guest(const struct heapmin__guest *guest);
/* Waits up to timeout_ns; returns the HEAPMIN__WAKE_* bits that came. */
unsigned heapmin__waiter_wait(heapmin_int64 timeout_ns);
/* Wakes the trimmer with bits. Async-signal-safe. Returns 0 or errno. */
int heapmin__waiter_wake(unsigned bits);
/*
 * Whether the trimmer is the only thread left of a process whose main
 * thread has ended (Linux; 0 elsewhere): the trimmer must then end, or it
 * would keep the process alive. Call only when resident size read 0.
 */
int heapmin__waiter_alone(void);
/*
 * The program's threads, this one left out (Linux: the kernel's count; 0
 * elsewhere, unknown). Opens a file: called only when a long trim waits.
 */
int heapmin__program_threads(void);

/*
 * Starts fn on a new thread named "heapmin" with every signal blocked (a
 * program's signals go to its own threads) and the creator's priority
 * (never lower: the trimmer holds allocator locks). Returns 0 or errno.
 */
int heapmin__thread_start(void (*fn)(void));
void heapmin__thread_join(void);

/*
 * A flag that a signal handler reads while other threads write it: atomic
 * where the compiler has the builtins (GCC, Clang: also what lets TSan
 * check it), else volatile. And a thread-local, for "am I the trimmer?".
 */
#if defined(__GNUC__)
#define HEAPMIN__LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define HEAPMIN__STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define HEAPMIN__THREAD_LOCAL __thread
#else
#define HEAPMIN__LOAD(x) (x)
#define HEAPMIN__STORE(x, v) ((x) = (v))
#define HEAPMIN__THREAD_LOCAL __declspec(thread)
#endif

#if !defined(_WIN32)
#include "../posix/fd.h"

/*
 * The POSIX trimmer's wake-up (wake-sem.c; wake-pipe.c on macOS): bits
 * posted by any thread or signal handler, collected by the trimmer.
 * heapmin__wake_init() is idempotent and returns 0 or errno;
 * heapmin__wake_post() is async-signal-safe and returns 0 or errno;
 * heapmin__wake_wait() waits up to timeout_ns (0: not at all) and returns
 * the bits posted since the last call; heapmin__wake_forked() gives a fork
 * child a wake-up of its own.
 */
int heapmin__wake_init(void);
int heapmin__wake_post(unsigned bits);
unsigned heapmin__wake_wait(heapmin_int64 timeout_ns);
void heapmin__wake_forked(void);

/* Linux memory pressure (psi.c); elsewhere none. Each opened source is a
 * descriptor to poll for POLLPRI (PSI) or POLLIN (a FIFO or socket that
 * systemd's MEMORY_PRESSURE_WATCH may name), taken with heapmin__fd_adopt.
 * Returns how many were opened into fds (at most max), describing all in
 * desc. */
int heapmin__pressure_open(struct heapmin__fd *fds, int *events, int max,
                           char *desc, size_t len);
#endif

#endif
