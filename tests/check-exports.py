#!/usr/bin/env python3
"""Checks that a built heapmin library exports heapmin's API and nothing else.

Usage: check-exports.py TOOL LIBRARY PUBLIC_SYMBOL...

TOOL is nm, or objdump for a Windows DLL. A shared library's exports must be
exactly the public symbols; a static archive's global symbols must include
them and all carry heapmin's prefix (internal heapmin__ names are global
there, which is what the prefix is for).
"""
import re
import subprocess
import sys

LINKER_MARKERS = {"__bss_start", "_edata", "_end"}

def defined_globals(nm, lib, dynamic):
    # -D reads ELF's dynamic symbol table; a Mach-O library has only one.
    dynamic = dynamic and sys.platform != "darwin"
    args = [nm, "--defined-only", "-g"] + (["-D"] if dynamic else []) + [lib]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    names = set()
    # Mach-O (macOS) spells every C symbol with a leading underscore.
    strip = 1 if sys.platform == "darwin" else 0
    for line in out.splitlines():
        fields = line.split()
        # "ADDRESS TYPE NAME"; archive member headers and blanks are skipped.
        if len(fields) == 3 and len(fields[1]) == 1:
            names.add(fields[2][strip:])
    return names


def dll_exports(objdump, dll):
    out = subprocess.run([objdump, "-p", dll], check=True, capture_output=True,
                         text=True).stdout
    # The "[Ordinal/Name Pointer] Table" lists one export a line:
    # "\t[   0] heapmin".
    return set(re.findall(r"^\s*\[\s*\d+\]\s+(\S+)$", out, re.MULTILINE))


def main():
    tool, lib, public = sys.argv[1], sys.argv[2], set(sys.argv[3:])
    if lib.endswith(".dll"):
        names = dll_exports(tool, lib)
    else:
        names = defined_globals(tool, lib, dynamic=not lib.endswith(".a"))
    print(f"{lib}: {sorted(names)}")
    if not lib.endswith(".a"):
        # Section-boundary markers GNU ld defines itself and, in some links
        # (against scudo's runtime, here), exports: no code, no API.
        wrong = (names - LINKER_MARKERS) ^ public
    else:
        # mingw's i686 C symbols carry a leading underscore; on x86_64 it
        # emits .refptr.NAME for references to extern data, and ASan emits
        # __odr_asan.NAME beside each global.
        prefixed = r"(\.refptr\.|__odr_asan\.)?_?_?heapmin(_|$)"
        wrong = {n for n in names if not re.match(prefixed, n)}
        wrong |= {n for n in public if n not in names and "_" + n not in names}
    if wrong:
        print(f"unexpected or missing symbols: {sorted(wrong)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
