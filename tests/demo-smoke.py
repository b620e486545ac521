#!/usr/bin/env python3
"""heapmin-demo, as the README runs it: the table, --help, and exit status 2
with a message on bad arguments.

Usage: demo-smoke.py HEAPMIN_DEMO

Cross builds run the demo through MESON_EXE_WRAPPER (Wine), which meson test
sets for them.
"""
import os
import shlex
import subprocess
import sys


def run(demo, *args):
    wrapper = shlex.split(os.environ.get("MESON_EXE_WRAPPER", ""))
    return subprocess.run(wrapper + [demo, *args], capture_output=True,
                          text=True, timeout=120)


def main():
    demo = sys.argv[1]
    problems = []
    r = run(demo, "--size", "16", "--keep", "0.2")
    print(r.stdout)
    if r.returncode != 0:
        problems.append(f"--size 16 exited {r.returncode}: {r.stderr}")
    for text in ("backend", "cache filled (16 MiB)", "80 % evicted",
                 "after heapmin_trim()", "page-level limit", " ms"):
        if text not in r.stdout:
            problems.append(f"no {text!r} in the table")
    r = run(demo, "--help")
    if r.returncode != 0 or "usage: heapmin-demo" not in r.stdout:
        problems.append("--help does not print the usage")
    for bad in (["--size", "0"], ["--keep", "x"], ["--size"], ["--what"]):
        r = run(demo, *bad)
        if r.returncode != 2 or "heapmin-demo:" not in r.stderr:
            problems.append(f"{bad} gave exit {r.returncode}, {r.stderr!r}")
    for p in problems:
        print("FAIL:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
