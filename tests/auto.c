/*
 * The automatic trimmer's API, with a fake backend: this program defines
 * heapmin__backend() itself and links the static library, so the linker
 * takes the front and the trimmer from the library and the backend from
 * here. Its trims are counted (and can be made slow), its count of free
 * bytes is 0, so only requests and pressure trim: every check is exact.
 *
 * Covers: config errors, EALREADY, ESRCH, EDEADLK, ENOSYS/ENOTSUP from the
 * backend, requests (also from a real signal handler), suspend/resume,
 * stats, the callback, restart, memory pressure through a FIFO named by
 * systemd's MEMORY_PRESSURE_WATCH, the real PSI registration, and fork while
 * a trim is under way (POSIX).
 */
#define _GNU_SOURCE
#include "heapmin.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "backend.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#endif

/* GCC says __SANITIZE_THREAD__, clang __has_feature(thread_sanitizer). */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif

static atomic_int trims, in_trim, slow_ms;

static void sleep_ms(int ms)
{
#if defined(_WIN32)
    Sleep((DWORD)ms);
#else
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
#endif
}

static int fake_trim(void)
{
    atomic_store(&in_trim, 1);
    if (atomic_load(&slow_ms) > 0)
        sleep_ms(atomic_load(&slow_ms));
    atomic_fetch_add(&trims, 1);
    atomic_store(&in_trim, 0);
    return 0;
}

static heapmin_int64 fake_releasable(void)
{
    return 0;
}

/* unable is changed only while no trimmer runs. */
static struct heapmin__backend fake = {
    "fake (test)", "this test's backend", fake_trim, 0, fake_releasable, 0,
    NULL};

const struct heapmin__backend *heapmin__backend(void)
{
    return &fake;
}

/* Waits up to 20 s for the trim count to pass n: generous on a busy CI. */
static int trimmed_past(int n)
{
    int waited;

    for (waited = 0; waited < 20000; waited += 5) {
        if (atomic_load(&trims) > n)
            return 1;
        sleep_ms(5);
    }
    return 0;
}

static struct heapmin_auto_stats stats(void)
{
    struct heapmin_auto_stats s;

    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    CHECK(heapmin_auto_stats(&s) == 0);
    return s;
}

/*
 * The stats once they count at least `trims` trims: the trimmer updates
 * them after the backend's trim returns, so trimmed_past() alone can come
 * too early (it did under valgrind).
 */
static struct heapmin_auto_stats counted(heapmin_int64 trims)
{
    struct heapmin_auto_stats s = stats();
    int waited;

    for (waited = 0; s.trims < trims && waited < 20000; waited += 5) {
        sleep_ms(5);
        s = stats();
    }
    return s;
}

/* TAP-like: "ok" only if the section added no failure. */
static int failures_before;

static void section(const char *name)
{
    printf("%s - %s\n", failures > failures_before ? "not ok" : "ok", name);
    failures_before = failures;
}

static int fails_with(int rc, int err)
{
    return rc == -1 && errno == err;
}

static void test_errors(void)
{
    struct heapmin_auto_config c;
    struct heapmin_auto_stats s;

    memset(&c, 0, sizeof c);
    /* Below the first layout (which ended with arg). */
    c.size = offsetof(struct heapmin_auto_config, arg) + sizeof c.arg - 1;
    CHECK(fails_with(heapmin_auto_start(&c), EINVAL));
    c.size = sizeof c;
    c.max_stall_ms = 25u * 3600u * 1000u;
    CHECK(fails_with(heapmin_auto_start(&c), EINVAL));
    c.max_stall_ms = 0;
    c.cpu_budget = 1.5;
    CHECK(fails_with(heapmin_auto_start(&c), EINVAL));
    c.cpu_budget = -0.1;
    CHECK(fails_with(heapmin_auto_start(&c), EINVAL));
    c.cpu_budget = NAN;
    CHECK(fails_with(heapmin_auto_start(&c), EINVAL));
    c.cpu_budget = 0;
    c.interval_ms = 25u * 3600u * 1000u;
    CHECK(fails_with(heapmin_auto_start(&c), EINVAL));
    c.interval_ms = 0;
    c.min_release = -1;
    CHECK(fails_with(heapmin_auto_start(&c), EINVAL));
    c.min_release = 0;
    c.flags = 2;
    CHECK(fails_with(heapmin_auto_start(&c), EINVAL));
    CHECK(fails_with(heapmin_auto_stop(), ESRCH));
    CHECK(fails_with(heapmin_auto_request(), ESRCH));
    CHECK(fails_with(heapmin_auto_resume(), EINVAL));
    memset(&s, 0, sizeof s);
    s.size = 8;
    CHECK(fails_with(heapmin_auto_stats(&s), EINVAL));
    CHECK(fails_with(heapmin_auto_stats(NULL), EINVAL));
    CHECK(stats().running == 0);

    /* A program built against the first layout gets the later defaults. */
    memset(&c, 0, sizeof c);
    c.size = offsetof(struct heapmin_auto_config, arg) + sizeof c.arg;
    c.max_stall_ms = 7; /* beyond its size: never read */
    c.flags = HEAPMIN_AUTO_NO_PRESSURE;
    CHECK(heapmin_auto_start(&c) == 0);
    CHECK(stats().max_stall_ms == 250);
    CHECK(heapmin_auto_stop() == 0);

    fake.unable = ENOSYS;
    CHECK(fails_with(heapmin_auto_start(NULL), ENOSYS));
    fake.unable = ENOTSUP;
    CHECK(fails_with(heapmin_auto_start(NULL), ENOTSUP));
    fake.unable = 0;
    CHECK(stats().running == 0);
    section("errors");
}

static atomic_int callbacks, stop_from_callback;

static void on_trim(const struct heapmin_report *r, void *arg)
{
    CHECK(arg == &callbacks);
    CHECK(r->size == sizeof *r && strcmp(r->backend, "fake (test)") == 0);
    atomic_fetch_add(&callbacks, 1);
    /* Stopping from here would wait for this very thread. */
    if (heapmin_auto_stop() == -1 && errno == EDEADLK)
        atomic_store(&stop_from_callback, EDEADLK);
}

static void on_signal(int sig)
{
    int saved = errno;

    (void)sig;
    heapmin_auto_request();
    errno = saved;
}

static void test_running(void)
{
    struct heapmin_auto_config c;
    struct heapmin_auto_stats s;
    int n;

    memset(&c, 0, sizeof c);
    c.size = sizeof c;
    c.on_trim = on_trim;
    c.arg = &callbacks;
    c.flags = HEAPMIN_AUTO_NO_PRESSURE;
    CHECK(heapmin_auto_start(&c) == 0);
    CHECK(fails_with(heapmin_auto_start(&c), EALREADY));
    s = stats();
    /* In millionths: x87 compares the constant at long double precision. */
    CHECK(s.running == 1 && s.interval_ms == 1000 &&
          (long)(s.cpu_budget * 1e6 + 0.5) == 5000 &&
          s.min_release == (heapmin_int64)8 << 20 && s.pressure[0] == '\0' &&
          s.max_stall_ms == 250 && s.holds_lock == 0);

    n = atomic_load(&trims);
    CHECK(heapmin_auto_request() == 0);
    CHECK(trimmed_past(n));
    s = counted(1);
    CHECK(s.last_reason == HEAPMIN_AUTO_REQUEST && s.trims >= 1 &&
          s.checks >= 1);
    /* The bucket starts full (60 s of half a percent); the fake trims and
     * counts cost next to nothing, but a thread clock may count in ticks
     * of 15.6 ms (Windows). */
    CHECK(s.credit_ns > 200 * (heapmin_int64)1000000 &&
          s.credit_ns <= 300 * (heapmin_int64)1000000);
    sleep_ms(50); /* the callback runs after the count */
    CHECK(atomic_load(&callbacks) >= 1);
    CHECK(atomic_load(&stop_from_callback) == EDEADLK);
    section("request, stats, callback, no stop from the callback");

    /* A real signal, handled on this thread (the trimmer blocks them all). */
    signal(SIGINT, on_signal);
    n = atomic_load(&trims);
    raise(SIGINT);
    CHECK(trimmed_past(n));
    signal(SIGINT, SIG_DFL);
    section("request from a signal handler");

    CHECK(heapmin_auto_suspend() == 0);
    CHECK(heapmin_auto_suspend() == 0); /* nested */
    n = atomic_load(&trims);
    CHECK(heapmin_auto_request() == 0);
    sleep_ms(300);
    CHECK(heapmin_auto_resume() == 0);
    sleep_ms(300);
    /* While suspended, the policy never trims: exact, not timing. */
    CHECK(atomic_load(&trims) == n);
    CHECK(heapmin_auto_resume() == 0);
    CHECK(trimmed_past(n)); /* the pending request, once resumed */
    CHECK(fails_with(heapmin_auto_resume(), EINVAL));
    section("suspend and resume, nested");

    CHECK(heapmin_auto_stop() == 0);
    CHECK(stats().running == 0);
    CHECK(fails_with(heapmin_auto_stop(), ESRCH));
    CHECK(fails_with(heapmin_auto_request(), ESRCH));
    /* And again, with the defaults. */
    CHECK(heapmin_auto_start(NULL) == 0);
    n = atomic_load(&trims);
    CHECK(heapmin_auto_request() == 0);
    CHECK(trimmed_past(n));
    CHECK(heapmin_auto_stop() == 0);
    section("stop, restart");
}

/* Memory-pressure sources: what the stats name, and a trim on pressure. */
static void test_pressure(void)
{
    struct heapmin_auto_stats s;
#if defined(__linux__)
    char dir[] = "/tmp/heapmin-auto-XXXXXX", fifo[64];
    int fd, psi, n;
    static const char trigger[] = "some 200000 2000000";

    /* Can this process register a PSI trigger at all? Asked directly. */
    psi = open("/proc/pressure/memory", O_RDWR | O_NONBLOCK);
    if (psi >= 0 && write(psi, trigger, sizeof trigger) < 0) {
        close(psi);
        psi = -1;
    }
    if (psi >= 0)
        close(psi);

    CHECK(mkdtemp(dir) != NULL);
    snprintf(fifo, sizeof fifo, "%s/pressure", dir);
    CHECK(mkfifo(fifo, 0600) == 0);
    setenv("MEMORY_PRESSURE_WATCH", fifo, 1);
    setenv("MEMORY_PRESSURE_WRITE", "", 1);
    CHECK(heapmin_auto_start(NULL) == 0);
    s = stats();
    printf("# pressure sources: %s\n", s.pressure);
    CHECK(strstr(s.pressure, "systemd ") == s.pressure);
    CHECK(strstr(s.pressure, psi >= 0
                                 ? "; psi /proc/pressure/memory"
                                 : "not: psi /proc/pressure/memory (") != NULL);
    n = atomic_load(&trims);
    fd = open(fifo, O_WRONLY | O_NONBLOCK);
    CHECK(fd >= 0 && write(fd, "x", 1) == 1);
    CHECK(trimmed_past(n));
    CHECK(counted(1).last_reason == HEAPMIN_AUTO_PRESSURE);
    CHECK(heapmin_auto_stop() == 0);
    close(fd);
    unlink(fifo);
    rmdir(dir);

    /* systemd's "off", and a malformed trigger: named, never an error. */
    setenv("MEMORY_PRESSURE_WATCH", "/dev/null", 1);
    CHECK(heapmin_auto_start(NULL) == 0);
    CHECK(strstr(stats().pressure, "not: systemd (MEMORY_PRESSURE_WATCH="
                                   "/dev/null)") != NULL);
    CHECK(heapmin_auto_stop() == 0);
    setenv("MEMORY_PRESSURE_WATCH", "/proc/pressure/memory", 1);
    setenv("MEMORY_PRESSURE_WRITE", "!!", 1);
    CHECK(heapmin_auto_start(NULL) == 0);
    CHECK(strstr(stats().pressure, "not: systemd (MEMORY_PRESSURE_WRITE is "
                                   "not base64)") != NULL);
    CHECK(heapmin_auto_stop() == 0);
    unsetenv("MEMORY_PRESSURE_WATCH");
    unsetenv("MEMORY_PRESSURE_WRITE");
    section("pressure: systemd's FIFO trims, PSI registration as the "
            "kernel allows, unavailable sources named");
#elif defined(_WIN32)
    CHECK(heapmin_auto_start(NULL) == 0);
    s = stats();
    printf("# pressure sources: %s\n", s.pressure);
    CHECK(strstr(s.pressure, "windows LowMemoryResourceNotification") != NULL);
    CHECK(heapmin_auto_stop() == 0);
    section("pressure: the low-memory notification is watched");
#else
    CHECK(heapmin_auto_start(NULL) == 0);
    s = stats();
    CHECK(strstr(s.pressure, "not: ") == s.pressure);
    CHECK(heapmin_auto_stop() == 0);
    section("pressure: none on this system, and it says so");
#endif
}

#if !defined(_WIN32) && !defined(UNDER_TSAN)
/*
 * fork() while the trimmer is inside a (slow) trim: the child has no
 * trimmer, says so, can allocate, and starts and stops its own; the parent's
 * goes on. An alarm turns a deadlock into a failure.
 */
static void test_fork(void)
{
    struct heapmin_auto_config c;
    int n, status = -1;
    pid_t pid;

    memset(&c, 0, sizeof c);
    c.size = sizeof c;
    c.cpu_budget = 1; /* the slow trim must not hold the next one off */
    c.flags = HEAPMIN_AUTO_NO_PRESSURE;
    atomic_store(&slow_ms, 300);
    CHECK(heapmin_auto_start(&c) == 0);
    CHECK(heapmin_auto_request() == 0);
    while (!atomic_load(&in_trim))
        sleep_ms(1);
    fflush(stdout); /* else the child prints the parent's buffered lines */
    pid = fork();
    if (pid == 0) {
        void *p;

        alarm(30);
        atomic_store(&slow_ms, 0);
        failures = 0;
        CHECK(stats().running == 0);
        CHECK(fails_with(heapmin_auto_stop(), ESRCH));
        CHECK(fails_with(heapmin_auto_request(), ESRCH));
        p = malloc(1 << 20);
        CHECK(p != NULL);
        free(p);
        n = atomic_load(&trims);
        CHECK(heapmin_auto_start(&c) == 0);
        CHECK(heapmin_auto_request() == 0);
        CHECK(trimmed_past(n));
        CHECK(heapmin_auto_stop() == 0);
        _exit(failures ? 1 : 0);
    }
    CHECK(pid > 0);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    n = atomic_load(&trims);
    CHECK(heapmin_auto_request() == 0);
    CHECK(trimmed_past(n));
    CHECK(heapmin_auto_stop() == 0);
    atomic_store(&slow_ms, 0);
    section("fork during a trim");
}
#endif

int main(void)
{
    test_errors();
    test_running();
    test_pressure();
#if defined(UNDER_TSAN)
    puts("ok - fork during a trim # SKIP ThreadSanitizer cannot follow a "
         "thread started in the child of a multi-threaded fork (\"dup thread "
         "with used id\"); the other configurations run it");
#elif !defined(_WIN32)
    test_fork();
#endif
    if (failures)
        return 1;
    puts("automatic trimmer holds");
    return 0;
}
