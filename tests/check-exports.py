#!/usr/bin/env python3
"""Checks that a built heapmin library exports heapmin's API and nothing else.

Usage: check-exports.py [--macho] TOOL LIBRARY PUBLIC_SYMBOL...

TOOL is nm, or objdump for a Windows DLL; --macho says the library is
macOS's (the build's host, which need not be the machine running this). A
shared library's exports must be exactly the public symbols; a static
archive's global symbols must include them and all carry heapmin's prefix
(internal heapmin__ names are global there, which is what the prefix is
for).
"""
import re
import subprocess
import sys

# Section-boundary markers GNU ld defines itself and, in some links
# (against scudo's runtime, here), exports; the entry points FreeBSD's
# crti.o gives every shared object; the image header and handle a Mach-O
# linker defines (zig's exports them). No code of ours, no API.
RUNTIME_SYMBOLS = {"__bss_start", "_edata", "_end", "_init", "_fini",
                   "_mh_dylib_header", "__dso_handle"}

def defined_globals(nm, lib, dynamic, macho):
    # -D reads ELF's dynamic symbol table; a Mach-O library has only one.
    dynamic = dynamic and not macho
    args = [nm, "--defined-only", "-g"] + (["-D"] if dynamic else []) + [lib]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    names = set()
    # Mach-O (macOS) spells every C symbol with a leading underscore.
    strip = 1 if macho else 0
    for line in out.splitlines():
        fields = line.split()
        # "ADDRESS TYPE NAME"; archive member headers and blanks are skipped.
        if len(fields) == 3 and len(fields[1]) == 1:
            names.add(fields[2][strip:])
    return names


def dll_exports(objdump, dll):
    out = subprocess.run([objdump, "-p", dll], check=True, capture_output=True,
                         text=True).stdout
    # GNU objdump's "[Ordinal/Name Pointer] Table" lists one export a line,
    # "\t[   0] heapmin"; llvm-objdump's "Export Table" as "  1  0x19e0  heapmin".
    gnu = re.findall(r"^\s*\[\s*\d+\]\s+(\S+)$", out, re.MULTILINE)
    llvm = re.findall(r"^\s+\d+\s+0x[0-9a-f]+\s+(\S+)$",
                      out.partition("Export Table:")[2], re.MULTILINE)
    return set(gnu + llvm)


def main():
    args = sys.argv[1:]
    macho = args[:1] == ["--macho"]
    tool, lib, public = args[macho], args[macho + 1], set(args[macho + 2:])
    if lib.endswith(".dll"):
        names = dll_exports(tool, lib)
    else:
        names = defined_globals(tool, lib, not lib.endswith(".a"), macho)
    print(f"{lib}: {sorted(names)}")
    if not lib.endswith(".a"):
        wrong = (names - RUNTIME_SYMBOLS) ^ public
    else:
        # mingw's i686 C symbols carry a leading underscore. On x86_64 it
        # emits .refptr.NAME beside a reference to extern data NAME: a
        # reference, not a definition (zig's stack protector makes one to
        # __stack_chk_guard). ASan emits __odr_asan.NAME beside each global.
        names = {n for n in names if not n.startswith(".refptr.")}
        prefixed = r"(__odr_asan\.)?_?_?heapmin(_|$)"
        wrong = {n for n in names if not re.match(prefixed, n)}
        wrong |= {n for n in public if n not in names and "_" + n not in names}
    if wrong:
        print(f"unexpected or missing symbols: {sorted(wrong)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
