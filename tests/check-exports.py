#!/usr/bin/env python3
"""Checks that a built heapmin library exports heapmin's API and nothing else.

Usage: check-exports.py NM LIBRARY

A shared object's dynamic symbols must be exactly the public API; a static
archive's global symbols must all carry heapmin's prefix (internal heapmin__
names are global there, which is what the prefix is for).
"""
import re
import subprocess
import sys

PUBLIC = {"heapmin", "_heapmin", "heapmin_backend", "heapmin_version"}


def defined_globals(nm, lib, dynamic):
    args = [nm, "--defined-only", "-g"] + (["-D"] if dynamic else []) + [lib]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        fields = line.split()
        # "ADDRESS TYPE NAME"; archive member headers and blanks are skipped.
        if len(fields) == 3 and len(fields[1]) == 1:
            names.add(fields[2])
    return names


def main():
    nm, lib = sys.argv[1], sys.argv[2]
    dynamic = not lib.endswith(".a")
    names = defined_globals(nm, lib, dynamic)
    print(f"{lib}: {sorted(names)}")
    if dynamic:
        wrong = names ^ PUBLIC
    else:
        wrong = {n for n in names if not re.match(r"_?heapmin(_|$)", n)}
        wrong |= PUBLIC - names
    if wrong:
        print(f"unexpected or missing symbols: {sorted(wrong)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
