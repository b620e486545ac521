"""A Python program that knows nothing of heapmin: fills a cache with
1-4 KiB bytes objects (MIB MiB, default 200), drops 90 % of them, prints
"ready PID BASE RESIDENT" (bytes, resident size before the fill and after
the drop) and idles until its standard input closes."""
import os
import random
import sys


def resident():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main():
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rng = random.Random(7)
    base = resident()
    cache, size = [], 0
    while size < mib << 20:
        n = rng.randint(1024, 4096)
        cache.append(bytes(n))
        size += n
    kept = cache[::10]
    del cache
    print("ready", os.getpid(), base, resident(), flush=True)
    sys.stdin.read()
    return len(kept) > 0


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
