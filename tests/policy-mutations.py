#!/usr/bin/env python3
"""Each rule of the automatic trimmer's policy (src/auto/policy.c) has rows
in tests/policy.c that fail without it: this applies one mutation at a time
to a copy of policy.c, builds the policy test against it and expects it to
fail. A mutation that survives names a rule the tables do not pin down.

usage: policy-mutations.py SOURCE_ROOT CC [CC ARGS...]
"""
import os
import subprocess
import sys
import tempfile

# (rule, what is changed, replacement): each `old` must occur in policy.c.
MUTATIONS = [
    ("1", "#define BUCKET_NS (60000 * HEAPMIN__MS)", "#define BUCKET_NS 0"),
    ("1", "return p->full_at - now <= BUCKET_NS;",
     "return p->full_at - now < BUCKET_NS;"),
    ("1", "p->full_at = (p->full_at > end ? p->full_at : end) + "
     "over_budget(p, cost);", "p->full_at = end + over_budget(p, cost);"),
    ("2", "(o->now >= p->count_next || !rested);", "1;"),
    ("2", "int rested = o->idle && delta <= STILL && delta >= -STILL;",
     "int rested = 1;"),
    ("2", "return open_at(p, o->now) && delta <= STILL && worth &&",
     "return open_at(p, o->now) && worth &&"),
    ("2", "p->count_next = end + 2 * p->interval_ns;", "p->count_next = 0;"),
    ("2", "p->count_gap *= 2;", "p->count_gap *= 1;"),
    ("2", "still && o->idle && moved < p->min_release && moved > "
     "-p->min_release;", "still && moved < p->min_release && moved > "
     "-p->min_release;"),
    ("2", "} else if (!still || !o->idle || o->free >= 0) {",
     "} else if (o->free >= 0) {"),
    ("2", "(p->busy_checks >= BUSY_CHECKS &&", "(p->busy_checks >= 1 &&"),
    ("2", "o->now - p->count_at >= p->interval_ns);", "1);"),
    ("2", "if (p->count_resident >= PAGE && resident > p->count_resident)",
     "if (0)"),
    ("2", "if (gain < 0 && p->counts && o->free < 0)\n        gain = p->gain;",
     ""),
    ("2", "    if (!still) {\n        p->gain = -1;", "    if (0) {\n"
     "        p->gain = -1;"),
    ("3", "if (o->suspended)\n        return d;", ""),
    ("4a", "ref -= o->resident - p->baseline;", "ref -= 0;"),
    ("4a", "!o->busy || (moved < p->min_release && moved > -p->min_release);",
     "1;"),
    ("4b", "return growing || o->resident < p->baseline ? 0",
     "return o->resident < p->baseline ? 0"),
    ("4", "if (p->counts || o->resident < 0 || p->baseline < 0)",
     "if (o->resident < 0 || p->baseline < 0)"),
    ("5", "mul_div(p->walk + mul_div(", "mul_div(0 + mul_div("),
    ("5", "#define FIRST_NS_PER_MIB ((heapmin_int64)250000)",
     "#define FIRST_NS_PER_MIB ((heapmin_int64)200000)"),
    ("5", "p->ns_per_mib =\n            (p->ns_per_mib + mul_div(paging, MIB / PAGE, "
     "released / PAGE)) / 2;", "(void)paging;"),
    ("5", "p->wall_per_cpu = (p->wall_per_cpu + r) / 2;", "(void)r;"),
    ("5", "r = r < RATIO_ONE ? RATIO_ONE : r > 64 * RATIO_ONE ? 64 * RATIO_ONE : r;",
     ""),
    ("1", "return a / c * b + a % c * b / c;", "return a / c * b;"),
    ("5", "heapmin_int64 paging = trim_cpu > p->walk ? trim_cpu - p->walk : 0;",
     "heapmin_int64 paging = trim_cpu;"),
    ("6", "d.deferred = 1;", "d.deferred = 0;"),
    ("6", "if (open < d.wait_ns)\n            d.wait_ns = open;", ""),
    ("7", "#define QUIET_NS (200 * HEAPMIN__MS)", "#define QUIET_NS 0"),
    ("7", "holds_lock ? (heapmin_int64)config->max_stall_ms * HEAPMIN__MS : 0;",
     "(heapmin_int64)config->max_stall_ms * HEAPMIN__MS;"),
    ("7", "d.quiet_wait = wanted == HEAPMIN_AUTO_GROWTH && !is_quiet &&",
     "d.quiet_wait = wanted != 0 && !is_quiet &&"),
    ("7", "return p->max_stall_ns > 0 && predicted / arenas > p->max_stall_ns;",
     "return p->max_stall_ns > 0;"),
    ("7", "!stalls(p, s.decision.predicted_ns, w->arenas(w->arg))) {",
     "!stalls(p, s.decision.predicted_ns, 1)) {"),
    ("7", "p->idle_since = p->last_now >= 0 ? p->last_now : o->now;",
     "p->idle_since = o->now;"),
    ("7", "if (s.decision.quiet_wait && o->idle)\n"
     "        s.decision.wait_ns = p->active_ns;", ""),
    ("8", "if (released < expected / 2) {", "if (released < 0) {"),
    ("8", "        p->backoff = 1;\n    }\n}", "    }\n}"),
    ("9", "d.wait_ns = !still || p->moved || o->busy",
     "d.wait_ns = !still || p->moved"),
    ("9", "p->moved = !still;", "p->moved = 0;"),
    ("9", "p->active_ns = p->interval_ns < ACTIVE_NS ? p->interval_ns : "
     "ACTIVE_NS;", "p->active_ns = ACTIVE_NS;"),
]


def main():
    root, cc = sys.argv[1], sys.argv[2:]
    policy = os.path.join(root, "src", "auto", "policy.c")
    original = open(policy).read()
    includes = ["-I" + os.path.join(root, d) for d in
                ("include", "src/auto", "tests/support")]
    survivors = 0
    with tempfile.TemporaryDirectory() as tmp:
        def build(source, name):
            path = os.path.join(tmp, name + ".c")
            with open(path, "w") as f:
                f.write(source)
            exe = os.path.join(tmp, name)
            r = subprocess.run([*cc, "-std=c99", "-w", *includes, "-o", exe,
                                path, os.path.join(root, "tests", "policy.c")],
                               capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"FAIL: {name} does not build: {r.stderr[-2000:]}")
            return subprocess.run([exe], capture_output=True, text=True)
        # The premise: the unmutated policy passes the same build.
        if build(original, "policy").returncode != 0:
            sys.exit("FAIL: the unmutated policy fails its tables")
        for i, (rule, old, new) in enumerate(MUTATIONS):
            if original.count(old) != 1:
                sys.exit(f"FAIL: mutation {i} (rule {rule}) matches "
                         f"{original.count(old)} places: {old!r}")
            r = build(original.replace(old, new), f"mutant{i}")
            failed = [l for l in r.stdout.splitlines()
                      if l.startswith("not ok")]
            if r.returncode == 0:
                survivors += 1
                print(f"not ok - rule {rule}: {old!r} -> {new!r} survives")
            else:
                print(f"ok - rule {rule}: {old.splitlines()[0][:60]!r} "
                      f"fails {len(failed)} table(s)")
    print(f"{len(MUTATIONS) - survivors} of {len(MUTATIONS)} mutations caught")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
