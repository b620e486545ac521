#!/usr/bin/env python3
"""heapmin-bench --auto --quick prints a row for every workload and policy,
the goals summary, and writes a timeline CSV and an SVG chart that parses.
No timing is asserted: the numbers belong to BENCHMARKS.md, not to a test.
A policy whose allocator is not installed (jemalloc-bg without libjemalloc)
may be left out, said so in its row, unless HEAPMIN_REQUIRE_ALLOCATORS=1.

Usage: bench-auto-smoke.py HEAPMIN_BENCH OUTDIR
"""
import csv
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

WORKLOADS = ["spike", "waves", "steady"]
POLICIES = ["none", "fixed-1s", "trim-threshold", "jemalloc-bg",
            "heapmin-auto", "heapmin-5%"]


def main():
    bench, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, "auto.csv")
    p = subprocess.run([bench, "--auto", "--quick", "--csv", path],
                       capture_output=True, text=True, timeout=600)
    print(p.stdout)
    problems = []
    if p.returncode != 0:
        problems.append(f"exit {p.returncode}: {p.stderr.strip()}")
    rows = {tuple(line.split()[:2]) for line in p.stdout.splitlines()
            if len(line.split()) >= 7}
    missing = {tuple(line.split()[:2]) for line in p.stdout.splitlines()
               if line.endswith("(not installed)")}
    if missing and os.environ.get("HEAPMIN_REQUIRE_ALLOCATORS") == "1":
        problems.append("not installed (HEAPMIN_REQUIRE_ALLOCATORS=1): " +
                        ", ".join(" ".join(m) for m in sorted(missing)))
    for m in sorted(missing):
        print("left out, its allocator is not installed:", " ".join(m))
    for w in WORKLOADS:
        for pol in POLICIES:
            if (w, pol) not in rows and (w, pol) not in missing:
                problems.append(f"no row for {w} {pol}")
    if "heapmin-auto against fixed-1s" not in p.stdout:
        problems.append("no goals summary")
    with open(path) as f:
        samples = list(csv.DictReader(f))
    seen = {(r["workload"], r["policy"]) for r in samples}
    for w in WORKLOADS:
        for pol in POLICIES:
            if (w, pol) not in seen and (w, pol) not in missing:
                problems.append(f"no samples for {w} {pol}")
    svg = os.path.join(outdir, "auto.svg")
    lines = ET.parse(svg).getroot().findall(
        ".//{http://www.w3.org/2000/svg}polyline")
    if len(lines) != len(WORKLOADS) * len(POLICIES) - len(missing):
        problems.append(f"{len(lines)} lines in the chart")
    for pr in problems:
        print("FAIL:", pr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
