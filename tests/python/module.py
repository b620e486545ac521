"""The Python module heapmin, run by Debian's /usr/bin/python3 (meson gives
it PYTHONPATH): the report, the backend, the errors, the automatic trimmer,
and the GIL released while a trim runs.

Usage: module.py VERSION BACKEND   (BACKEND: what heapmin.backend() must say)
"""
import errno
import os
import random
import sys
import threading
import time

import heapmin

MIB = 1 << 20
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def fragment(mib, seed):
    """A cache of 1-4 KiB bytes objects, 90 % dropped: freed, resident."""
    rng = random.Random(seed)
    cache, size = [], 0
    while size < mib * MIB:
        n = rng.randint(1024, 4096)
        cache.append(bytes(n))
        size += n
    return cache[::10]


def main():
    version, want = sys.argv[1], sys.argv[2]
    with open("/proc/self/maps") as f:
        maps = f.read()
    if want.startswith("jemalloc") and "libjemalloc" not in maps:
        if os.environ.get("HEAPMIN_REQUIRE_ALLOCATORS") == "1":
            print("FAIL: libjemalloc.so.2 was not preloaded")
            return 1
        print("SKIP: libjemalloc.so.2 is not installed (apt-get install "
              "libjemalloc2)")
        return 77
    check(heapmin.__version__ == version and heapmin.version() == version,
          f"version {heapmin.version()}, not {version}")
    check(heapmin.backend() == want, f"backend {heapmin.backend()!r}")
    check(heapmin.resident_bytes() > 0, "resident_bytes")

    kept = fragment(150, 1)
    r = heapmin.trim()
    print("trim:", r)
    check(isinstance(r, heapmin.Report) and r.backend == want and
          r.outcome == "released" and r.released >= 30 * MIB and
          r.released == r.resident_before - r.resident_after and
          r.elapsed > 0 and r.detail, f"report {r}")
    del kept

    # The GIL is released while a trim runs: another Python thread runs
    # during it. A long trim (a fresh fragmented heap) leaves it time; on a
    # busy machine it may still not be scheduled, so up to five tries.
    seen = False
    for attempt in range(5):
        kept = fragment(200, 10 + attempt)
        ticks, stop = [], threading.Event()

        def tick():
            # A stamp a millisecond: the list rarely grows, so this thread
            # seldom calls malloc, whose locks a trim may hold.
            ticks.append(time.monotonic())
            while not stop.is_set():
                now = time.monotonic()
                if now - ticks[-1] >= 0.001:
                    ticks.append(now)

        t = threading.Thread(target=tick)
        t.start()
        time.sleep(0.05)
        start = time.monotonic()
        r = heapmin.trim()
        end = time.monotonic()
        stop.set()
        t.join()
        # The middle half of the call: a thread switch just before or
        # after the trim must not count.
        quarter = (end - start) / 4
        inside = [x for x in ticks
                  if start + quarter < x < end - quarter]
        print(f"GIL: trim of {r.elapsed * 1e3:.0f} ms, the other thread "
              f"ran {len(inside)} times in the middle half of it")
        del kept
        if r.elapsed > 0.04 and inside:
            seen = True
            break
    check(seen, "no other thread ran during a trim: the GIL was held")

    # The automatic trimmer, its errors, and its stats.
    for bad in [{"budget": 200}, {"interval": 0.0001}, {"min_release": -1}]:
        try:
            heapmin.auto_start(**bad)
            check(False, f"auto_start({bad}) accepted")
            heapmin.auto_stop()
        except ValueError:
            pass
    try:
        heapmin.auto_start(5)
        check(False, "a positional argument accepted")
    except TypeError:
        pass
    try:
        heapmin.auto_start(max_stall=-1)
        check(False, "max_stall=-1 accepted")
    except ValueError:
        pass
    heapmin.auto_start(interval=0.1, budget=5, pressure=False, max_stall=0.2)
    try:
        heapmin.auto_start()
        check(False, "a second auto_start accepted")
    except OSError as e:
        check(e.errno == errno.EALREADY, f"second start: {e}")
    # Freed but resident, and kept so: the survivors stay live among the
    # freed blocks (freeing everything would let glibc's own free() hand
    # the top of the heap back, leaving nothing for the trimmer to do).
    # The trimmer is suspended meanwhile, so that the premise is measured
    # before it can act; it counts what is freed all the same. (Its budget
    # may allow a second trim at once after the first, at start.)
    heapmin.auto_suspend()
    # A trim already running when it was suspended finishes: two more
    # checks (the thread counts one after each trim) and none is running.
    checks = heapmin.auto_stats()["checks"]
    deadline = time.monotonic() + 60
    while heapmin.auto_stats()["checks"] < checks + 2 and \
            time.monotonic() < deadline:
        time.sleep(0.02)
    heapmin.trim()  # what earlier steps freed is not counted as new
    before = heapmin.resident_bytes()
    kept = fragment(100, 3)
    grown = heapmin.resident_bytes() - before
    print(f"premise: resident grew {grown / MIB:.0f} MiB, 90 % of it freed")
    if grown < 60 * MIB:
        print("FAIL: premise: the freed memory is not resident")
        return 1
    heapmin.auto_resume()
    # The trimmer's own accounting, with a deadline that fits a loaded
    # machine (its budget may hold a trim off for a few seconds).
    deadline = time.monotonic() + 120
    while heapmin.auto_stats()["trims"] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    s = heapmin.auto_stats()
    print("auto_stats:", s)
    del kept
    check(s["running"] and s["trims"] >= 1 and s["released"] > 0 and
          s["interval"] == 0.1 and s["budget"] == 5 and s["pressure"] == "" and
          s["max_stall"] == 0.2 and s["trim_cpu_seconds"] > 0 and
          s["last_predicted_seconds"] is not None, f"stats {s}")
    heapmin.auto_suspend()
    heapmin.auto_resume()
    heapmin.auto_request()
    heapmin.auto_stop()
    check(heapmin.auto_stats()["running"] is False, "still running")
    for fn, code in [(heapmin.auto_stop, errno.ESRCH),
                     (heapmin.auto_request, errno.ESRCH),
                     (heapmin.auto_resume, errno.EINVAL)]:
        try:
            fn()
            check(False, f"{fn.__name__} did not fail")
        except OSError as e:
            check(e.errno == code, f"{fn.__name__}: {e}")
    print("ok" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
