#!/usr/bin/env python3
"""Every place that names the allocators names the same ones.

Usage: allocator-list.py SOURCE_ROOT ALLOCATORS SYSTEM_BACKENDS

ALLOCATORS and SYSTEM_BACKENDS are space-separated, from the one list in
src/posix/allocators/meson.build (`allocators` and `system_backends`).
Checked against it: the trim_backend option's choices,
detection's table (src/posix/detect.c), the mechanisms declared and the
file per allocator (src/posix/allocators/), the MECHANISM lists of the
header and of heapmin(3), the allocators the preload test runs under
(tests/preload.py, glibc's as "glibc"), and the matrix's configuration per
allocator (tests/matrix.sh). Prints every drift and fails.
"""
import os
import re
import sys


def read(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    root = sys.argv[1]
    allocators = sys.argv[2].split()
    systems = sys.argv[3].split()
    if not allocators or not systems:
        sys.exit("allocator-list: empty list given")
    problems = []

    def same(where, found, want):
        found, want = list(found), list(want)
        if sorted(set(found)) != sorted(set(want)):
            problems.append("%s: has %s; the list says %s" % (
                where, " ".join(sorted(set(found))),
                " ".join(sorted(set(want)))))

    m = re.search(r"option\('trim_backend'.*?choices:\s*\[(.*?)\]",
                  read(root, "meson_options.txt"), re.S)
    same("meson_options.txt trim_backend",
         re.findall(r"'(\w+)'", m.group(1)) if m else [],
         ["auto"] + allocators + systems)

    m = re.search(r"known\[\]\s*=\s*\{(.*?)\};",
                  read(root, "src/posix/detect.c"), re.S)
    known = re.findall(r"&heapmin__(\w+)", m.group(1)) if m else []
    same("src/posix/detect.c known[]", known, allocators)
    if known and known[-1] != "malloc_trim":
        problems.append("src/posix/detect.c known[]: malloc_trim must come "
                        "last (the other allocators' objects need glibc)")

    declared = re.findall(
        r"extern const struct heapmin__mechanism heapmin__(\w+);",
        read(root, "src/posix/allocators/mechanism.h"))
    # jemalloc's arena-by-arena purge is jemalloc too (NetBSD).
    same("src/posix/allocators/mechanism.h",
         [d for d in declared if d != "jemalloc_arenas"], allocators)
    for a in allocators:
        f = "src/posix/allocators/%s.c" % a.replace("_", "-")
        if not os.path.exists(os.path.join(root, f)):
            problems.append("%s is missing" % f)

    mechanisms = allocators + systems + ["none"]
    m = re.search(r"MECHANISM is the first word:(.*?)HOW is",
                  read(root, "include/heapmin.h"), re.S)
    same("include/heapmin.h MECHANISM",
         re.findall(r'"(\w+)"', m.group(1)) if m else [], mechanisms)
    m = re.search(r"^MECHANISM is one of\n(.*?)^HOW is",
                  read(root, "man/heapmin.3.in"), re.S | re.M)
    same("man/heapmin.3.in MECHANISM",
         re.findall(r"^\.BR? (\w+)(?: ,)?$", m.group(1), re.M) if m else [],
         mechanisms)

    m = re.search(r"^ALLOCATORS = \[(.*?)^\]", read(root, "tests/preload.py"),
                  re.S | re.M)
    preloaded = re.findall(r'^\s*\("(\w+)"', m.group(1), re.M) if m else []
    same("tests/preload.py ALLOCATORS",
         ["malloc_trim" if p == "glibc" else p for p in preloaded],
         allocators)

    matrix = re.findall(r"^check (\w+) build_and_test \1 .*-Dtrim_backend=\1",
                        read(root, "tests/matrix.sh"), re.M)
    same("tests/matrix.sh configurations -Dtrim_backend=NAME",
         matrix, [a for a in allocators if a != "malloc_trim"] + ["stub"])

    for p in problems:
        print("drift:", p)
    print("%d allocators (%s), %d system backends: %s" % (
        len(allocators), " ".join(allocators), len(systems),
        "%d places drifted" % len(problems) if problems else "every place agrees"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
