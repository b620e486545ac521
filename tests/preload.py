#!/usr/bin/env python3
"""A default build under LD_PRELOAD of jemalloc, tcmalloc and mimalloc: the
backend names the preloaded allocator, and resident size falls as far as
with the allocator's own call, on one thread and on four.

Usage: preload.py HEAPMIN_BENCH

Each measurement is a fresh heapmin-bench --child process (64 MiB heap),
heapmin and the allocator's own call alternating, medians of five. The two
make the same call, so what differs is noise: with four threads the freed
size itself varies from run to run (44 to 77 MiB with tcmalloc), so each run
is judged by the share of its freed size it reclaimed. heapmin's median share
must be at least 80 % of the allocator's own call's, which tells "trimmed as
the allocator does" from "trimmed nothing" (a malloc_trim(0) caller reclaims
0 % under these allocators).
"""
import statistics
import subprocess
import sys

ALLOCATORS = [
    ("jemalloc", "libjemalloc.so.2", "libjemalloc-dev"),
    ("tcmalloc", "libtcmalloc_minimal.so.4", "libgoogle-perftools-dev"),
    ("mimalloc", "libmimalloc.so.2", "libmimalloc-dev"),
]
WORKLOADS = ["small-10", "threads-10"]
RUNS = 5
SHARE = 0.80
SLACK = 0.01  # of the freed size: mimalloc reclaims nothing either way


def child(bench, preload, workload, mode):
    out = subprocess.run([bench, "--child", workload, mode, "64"],
                         env={"LD_PRELOAD": preload}, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split(maxsplit=6)
    return {"allocator": out[0], "freed_kib": float(out[2]),
            "after_kib": float(out[3]), "rc": int(out[5]),
            "backend": out[6].strip()}


def main():
    bench = sys.argv[1]
    problems, missing = [], []
    for name, preload, package in ALLOCATORS:
        if child(bench, preload, "small-1", "none")["allocator"] != name:
            missing.append(f"{preload} (apt-get install {package})")
            continue
        for workload in WORKLOADS:
            share = {"heapmin": [], "direct": []}
            for run in range(RUNS):
                for mode in ("heapmin", "direct")[::1 if run % 2 else -1]:
                    r = child(bench, preload, workload, mode)
                    share[mode].append(1 - r["after_kib"] / r["freed_kib"])
                    if mode == "heapmin":
                        if r["backend"] != f"{name} (detected)":
                            problems.append(f"{name}: backend {r['backend']!r}")
                        if r["rc"] != 0:
                            problems.append(f"{name}: heapmin() returned {r['rc']}")
            h = statistics.median(share["heapmin"])
            d = statistics.median(share["direct"])
            print(f"{name:9} {workload:10} reclaimed (median share of the "
                  f"freed size): heapmin {100 * h:5.1f} %, its own call "
                  f"{100 * d:5.1f} %")
            if h < SHARE * d - SLACK:
                problems.append(f"{name} {workload}: heapmin reclaimed "
                                f"{100 * h:.1f} %, its own call {100 * d:.1f} %")
    for p in problems:
        print("FAIL:", p)
    if problems:
        return 1
    if missing:
        print("SKIP: not installed here:", ", ".join(missing))
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
