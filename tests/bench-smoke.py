#!/usr/bin/env python3
"""Smoke test of heapmin-bench --quick: the output has the promised shape.

Usage: bench-smoke.py HEAPMIN_BENCH WORKDIR

Checks the CSV header and rows, the SVG beside it, and invariants that hold
on any machine (the limit is below the freed size, every workload and mode
has a row for the allocator the bench is linked with).
Timings are printed by the bench, never asserted here.
"""
import csv
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

HEADER = "workload,allocator,mode,limit_kib,freed_kib,after_kib,ms"
WORKLOADS = {"small-1", "small-10", "small-50", "large-10", "threads-10"}


def main():
    bench, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, "bench.csv")
    run = subprocess.run([bench, "--quick", "--csv", path],
                         capture_output=True, text=True, timeout=300)
    print(run.stdout)
    problems = []
    if run.returncode != 0:
        problems.append(f"exit status {run.returncode}: {run.stderr}")
    with open(path) as f:
        text = f.read()
    if text.splitlines()[0] != HEADER:
        problems.append(f"CSV header is {text.splitlines()[0]!r}")
    rows = list(csv.DictReader(text.splitlines()))
    # The first rows are the allocator the bench is linked with.
    linked = rows[0]["allocator"] if rows else None
    have = {(r["workload"], r["mode"]) for r in rows if r["allocator"] == linked}
    for w in WORKLOADS:
        for mode in ("none", "heapmin", "direct"):
            if (w, mode) not in have:
                problems.append(f"no {linked} row for {w} {mode}")
    if not any(r["workload"].startswith("grow-") for r in rows):
        problems.append("no trim-time-against-size rows")
    # The stall rows carry only the other thread's worst pair, in ms.
    stalls = [r for r in rows if r["mode"] == "stall"]
    if (linked, "stall") not in {(r["allocator"], r["mode"]) for r in stalls}:
        problems.append(f"no stall row for {linked}")
    for r in rows:
        limit, freed = float(r["limit_kib"]), float(r["freed_kib"])
        after, ms = float(r["after_kib"]), float(r["ms"])
        if r["mode"] == "stall":
            if r["workload"] != "stall-10" or ms <= 0:
                problems.append(f"implausible stall row {r}")
        elif not 0 < limit < freed or after <= 0 or ms < 0:
            problems.append(f"implausible row {r}")
    svg = os.path.join(workdir, "bench.svg")
    try:
        root = ET.parse(svg).getroot()
        if not root.tag.endswith("svg") or len(root.findall(".//{*}rect")) < 15:
            problems.append("the SVG has no bars")
    except (OSError, ET.ParseError) as e:
        problems.append(f"no well-formed SVG: {e}")
    for line in ("allocator workload", "trim time against heap size",
                 "worst malloc/free pair in another thread"):
        if line not in run.stdout:
            problems.append(f"no {line!r} in the printed table")
    for p in problems:
        print("FAIL:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
