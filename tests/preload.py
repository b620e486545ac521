#!/usr/bin/env python3
"""Detection in real programs: the default build (trim_backend=auto) under
glibc and under LD_PRELOAD of each allocator, in a PIE client, a non-PIE
client that takes malloc's address, and Debian's own /usr/bin/python3
through ctypes.

Usage: preload.py CLIENT_PIE CLIENT_NOPIE CLIENT_PY LIBHEAPMIN LIBORACLE

Each run is a fresh single-threaded process that fragments its heap and
asks the allocator's own accounting whether memory was given back
(oracle.h), so every verdict is exact, not a share of a noisy resident
size. For each allocator and client:
  heapmin      the backend names the allocator, heapmin() returns 0, and the
               allocator says it was trimmed;
  none         it says it was not (the oracle can fail);
  malloc_trim  what most programs call today: trims glibc, and under any
               other allocator trims nothing.
The allocators' own time-based release is turned off, so that only a trim
moves their numbers. With HEAPMIN_REQUIRE_ALLOCATORS=1 (the test matrix,
which installs them all) a missing allocator fails instead of skipping.
"""
import os
import subprocess
import sys

SCUDO = ("/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/"
         "libclang_rt.scudo_standalone-x86_64.so")
# name, preload, package, options that stop time-based release
ALLOCATORS = [
    ("glibc", None, "libc6", {}),
    ("jemalloc", "libjemalloc.so.2", "libjemalloc-dev",
     {"MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1"}),
    ("tcmalloc", "libtcmalloc_minimal.so.4", "libgoogle-perftools-dev",
     {"TCMALLOC_RELEASE_RATE": "0"}),
    ("mimalloc", "libmimalloc.so.2", "libmimalloc-dev",
     {"MIMALLOC_DECOMMIT_DELAY": "1000000",
      "MIMALLOC_SEGMENT_DECOMMIT_DELAY": "1000000"}),
    ("scudo", SCUDO, "libclang-rt-14-dev",
     {"SCUDO_OPTIONS": "release_to_os_interval_ms=-1"}),
    ("tbbmalloc", "libtbbmalloc_proxy.so.2", "libtbbmalloc2", {}),
]
DEBIAN_PYTHON = "/usr/bin/python3"


def installed(preload):
    if preload is None:
        return True
    return subprocess.run(["/bin/true"], env={"LD_PRELOAD": preload},
                          capture_output=True).stderr == b""


def run(argv, preload, options, what):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env.update(options)
    if preload:
        env["LD_PRELOAD"] = preload
    p = subprocess.run(argv, env=env, capture_output=True, text=True,
                       timeout=120)
    line = [l for l in p.stdout.splitlines() if l.startswith("backend=")]
    if p.returncode != 0 or not line:
        raise RuntimeError(f"{what}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    result = dict(kv.split("=", 1) for kv in line[0].split("|"))
    oracle = [l for l in p.stdout.splitlines() if l.startswith("oracle:")]
    result["oracle"] = oracle[0][len("oracle: "):] if oracle else "?"
    return result


def main():
    pie, nopie, client_py, libheapmin, liboracle = map(os.path.abspath,
                                                       sys.argv[1:6])
    clients = [("pie", [pie]), ("non-pie", [nopie])]
    if os.access(DEBIAN_PYTHON, os.X_OK):
        clients.append(("python3", [DEBIAN_PYTHON, client_py, libheapmin,
                                    liboracle]))
    else:
        print(f"note: {DEBIAN_PYTHON} is not installed: no Python client")
    problems, missing = [], []
    for name, preload, package, options in ALLOCATORS:
        if not installed(preload):
            missing.append(f"{name} (apt-get install {package})")
            continue
        for client, argv in clients:
            for mode in ("heapmin", "none", "malloc_trim"):
                what = f"{name:9} {client:8} {mode:11}"
                try:
                    r = run(argv + [name, mode], preload, options, what)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    problems.append(str(e))
                    continue
                print(f"{what} backend {r['backend']!r}, rc {r['rc']}, "
                      f"trimmed {r['trimmed']} ({r['oracle']})")
                want = {"heapmin": "1", "none": "0",
                        "malloc_trim": "1" if name == "glibc" else "0"}[mode]
                if r["trimmed"] != want:
                    problems.append(f"{what}: the allocator says trimmed="
                                    f"{r['trimmed']}, expected {want}")
                if mode == "heapmin":
                    if r["backend"] != ("malloc_trim" if name == "glibc"
                                        else name) + " (detected)":
                        problems.append(f"{what}: backend {r['backend']!r}")
                    if r["rc"] != "0":
                        problems.append(f"{what}: heapmin() = {r['rc']}")
                # The premise of the non-PIE client: malloc's canonical
                # address is a stub in the executable itself.
                if client == "non-pie" and \
                        not r["canonical_malloc"].endswith("client-nopie"):
                    problems.append(f"{what}: malloc's canonical address is "
                                    f"in {r['canonical_malloc']}, not in the "
                                    "executable: the test proves nothing")
    for p in problems:
        print("FAIL:", p)
    if missing:
        print("not installed here:", ", ".join(missing))
        if os.environ.get("HEAPMIN_REQUIRE_ALLOCATORS") == "1":
            print("FAIL: the test matrix installs every allocator")
            return 1
    if problems:
        return 1
    if missing:
        print("SKIP: rows missing (see above)")
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
