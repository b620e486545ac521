"""client.c's twin for Python: what dask, celery and gunicorn users do
through ctypes, with Debian's own (non-PIE) /usr/bin/python3.

Usage: python3 client.py LIBHEAPMIN LIBORACLE ALLOCATOR heapmin|none|malloc_trim

Fills a cache with 64 MiB of 1-4 KiB bytes objects (they come from malloc;
pymalloc keeps only objects up to 512 bytes), drops 90 % of them (all under
mimalloc, whose call releases only emptied pages), then does what MODE says
and prints the same line as client.c.
"""
import ctypes
import random
import sys


class Oracle(ctypes.Structure):
    _fields_ = [("allocator", ctypes.c_char_p), ("before", ctypes.c_longlong)]


def main():
    libheapmin, liboracle, allocator, mode = sys.argv[1:5]
    heapmin = ctypes.CDLL(libheapmin)
    heapmin.heapmin_backend.restype = ctypes.c_char_p
    oracle = ctypes.CDLL(liboracle)
    rng = random.Random(42)
    cache, size = [], 0
    while size < 64 << 20:
        n = rng.randint(1024, 4096)
        cache.append(b"x" * n)
        size += n
    keep = 0.0 if allocator == "mimalloc" else 0.10
    cache = [b for b in cache if rng.random() < keep]
    o = Oracle()
    name = allocator.encode()
    if oracle.oracle_start(ctypes.byref(o), name) != 0:
        print(f"no accounting of {allocator} in this process", file=sys.stderr)
        return 99
    rc = 0
    if mode == "heapmin":
        rc = heapmin.heapmin()
    elif mode == "malloc_trim":
        ctypes.CDLL("libc.so.6").malloc_trim(ctypes.c_size_t(0))
    trimmed = oracle.oracle_trimmed(ctypes.byref(o))
    print(f"backend={heapmin.heapmin_backend().decode()}|rc={rc}"
          f"|trimmed={trimmed}|canonical_malloc=python3", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
