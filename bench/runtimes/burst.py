"""The Python workload of bench/runtimes/runtimes.py: four threads parse
JSON documents (records with strings of 40-2000 bytes, most of which glibc's
malloc serves: pymalloc takes only objects up to 512 bytes) until the burst
holds about BENCH_MIB, a quarter of the documents stay cached until the next
burst, the rest are dropped and collected; then BENCH_IDLE seconds of idle;
BENCH_BURSTS times. Marks go to BENCH_MARKS as in burst.c."""
import gc
import json
import os
import random
import threading
import time

BURSTS = int(os.environ.get("BENCH_BURSTS", "3"))
IDLE = float(os.environ.get("BENCH_IDLE", "2.5"))
MIB = int(os.environ.get("BENCH_MIB", "300"))
THREADS = 4
marks = open(os.environ.get("BENCH_MARKS", os.devnull), "a")


def mark(what):
    marks.write(f"{what} {time.monotonic():.6f}\n")
    marks.flush()


def document(rng):
    return json.dumps([{"id": i, "name": "n" * rng.randint(40, 2000),
                        "tags": ["t" * rng.randint(40, 600) for _ in range(3)],
                        "score": rng.random()} for i in range(50)])


def parse(seed, budget, out):
    rng = random.Random(seed)
    texts = [document(rng) for _ in range(8)]
    size = 0
    while size < budget:
        text = texts[rng.randrange(len(texts))]
        out.append(json.loads(text))
        size += len(text) * 2  # what the parsed objects take, about


cache = []
for b in range(BURSTS):
    mark("fill")
    cache.clear()
    parts = [[] for _ in range(THREADS)]
    threads = [threading.Thread(target=parse,
                                args=(b * THREADS + i, MIB * 2**20 // THREADS,
                                      parts[i])) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    mark("free")
    for p in parts:
        cache.extend(p[::4])
    del parts, p
    gc.collect()
    mark("idle")
    time.sleep(IDLE)
mark("end")
