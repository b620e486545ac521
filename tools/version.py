#!/usr/bin/env python3
"""Prints heapmin's version, read from include/heapmin.h: the one place it
is written. meson.build takes it from here; the header's string must agree
with its numbers."""
import re
import sys

text = open(sys.argv[1]).read()
parts = [re.search(rf"#define HEAPMIN_VERSION_{p} (\d+)", text).group(1)
         for p in ("MAJOR", "MINOR", "PATCH")]
version = ".".join(parts)
string = re.search(r'#define HEAPMIN_VERSION_STRING "([^"]*)"', text).group(1)
if string != version:
    sys.exit(f"{sys.argv[1]}: HEAPMIN_VERSION_STRING is {string}, "
             f"the numbers say {version}")
print(version)
