#!/usr/bin/env python3
"""A default build under LD_PRELOAD of jemalloc, tcmalloc and mimalloc: the
backend names the preloaded allocator, and resident size falls as far as
with the allocator's own call, on one thread and on four.

Usage: preload.py HEAPMIN_BENCH

Each measurement is a fresh heapmin-bench --child process (64 MiB heap),
heapmin and the allocator's own call alternating, medians of three.
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
RUNS = 3
SLACK_KIB = 1024


def child(bench, preload, workload, mode):
    out = subprocess.run([bench, "--child", workload, mode, "64"],
                         env={"LD_PRELOAD": preload}, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split(maxsplit=6)
    return {"allocator": out[0], "after_kib": float(out[3]), "rc": int(out[5]),
            "backend": out[6].strip()}


def main():
    bench = sys.argv[1]
    problems, missing = [], []
    for name, preload, package in ALLOCATORS:
        if child(bench, preload, "small-1", "none")["allocator"] != name:
            missing.append(f"{preload} (apt-get install {package})")
            continue
        for workload in WORKLOADS:
            after = {"heapmin": [], "direct": []}
            for run in range(RUNS):
                for mode in ("heapmin", "direct")[::1 if run % 2 else -1]:
                    r = child(bench, preload, workload, mode)
                    after[mode].append(r["after_kib"])
                    if mode == "heapmin":
                        if r["backend"] != f"{name} (detected)":
                            problems.append(f"{name}: backend {r['backend']!r}")
                        if r["rc"] != 0:
                            problems.append(f"{name}: heapmin() returned {r['rc']}")
            h = statistics.median(after["heapmin"])
            d = statistics.median(after["direct"])
            print(f"{name:9} {workload:10} after heapmin {h / 1024:7.1f} MiB, "
                  f"after its own call {d / 1024:7.1f} MiB")
            if h > d * 1.05 + SLACK_KIB:
                problems.append(f"{name} {workload}: heapmin left {h:.0f} KiB, "
                                f"its own call {d:.0f} KiB")
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
