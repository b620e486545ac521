#!/usr/bin/env python3
"""When to trim, on real runtimes: Debian's ruby, python3 and nodejs and a
multi-thread C program (burst.*), each bursting BENCH_BURSTS times with
short or long idles between, under each way people keep resident size
down (POLICIES), alternating policies run by run. Prints the medians and
the ratios against the fixed 1 s malloc_trim(0) loop (BENCHMARKS.md,
"Automatic trimming on real runtimes"), and writes the raw runs (CSV) and
resident size over time (SVG).

usage: runtimes.py BUILD_DIR [--runs N] [--idle short|long|both]
                   [--workloads c,python,ruby,node] [--policies a,b]
                   [--out DIR]

Linux with glibc: it reads /proc/PID/status, /proc/PID/stat and
/proc/PID/task/TID/{comm,schedstat}.
"""
import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE_S = 0.05
MIB = 1 << 20

# Workload -> the command (BUILD is the build directory). Each writes marks
# (fill, free, idle, end) to $BENCH_MARKS.
WORKLOADS = {
    "c": ["{build}/bench/runtimes/burst-c"],
    "python": ["/usr/bin/python3", os.path.join(HERE, "burst.py")],
    "ruby": ["/usr/bin/ruby", os.path.join(HERE, "burst.rb")],
    "node": ["/usr/bin/node", "--expose-gc", os.path.join(HERE, "burst.js")],
}

# Idle: (bursts, seconds of idle after each). The long idle is also where
# the cost at rest is read (the trimmer's CPU share after the first 5 s).
IDLES = {"short": (3, 2.5), "long": (1, 60.0)}

JEMALLOC = "libjemalloc.so.2"
# Policy -> (environment, wrapped in heapmin run, the trimming threads'
# names). The first is the reference of the ratios.
POLICIES = {
    "loop-1s": ({"LD_PRELOAD": "{build}/bench/runtimes/loop-trim.so"}, False,
                ("fixed-trim",)),
    "none": ({}, False, ()),
    "arena-max-2": ({"MALLOC_ARENA_MAX": "2"}, False, ()),
    "trim-threshold": ({"MALLOC_TRIM_THRESHOLD_": "65536"}, False, ()),
    "jemalloc": ({"LD_PRELOAD": JEMALLOC}, False, ()),
    "jemalloc-bg": ({"LD_PRELOAD": JEMALLOC,
                     "MALLOC_CONF": "background_thread:true"}, False,
                    ("jemalloc_bg_thd",)),
    "tcmalloc": ({"LD_PRELOAD": "libtcmalloc_minimal.so.4"}, False, ()),
    "mimalloc": ({"LD_PRELOAD": "libmimalloc.so.2"}, False, ()),
    "heapmin": ({}, True, ("heapmin",)),
    "heapmin-jemalloc": ({"LD_PRELOAD": JEMALLOC}, True, ("heapmin",)),
}
REFERENCE = "loop-1s"
GOAL = "heapmin"
COLORS = ["#1f77b4", "#888888", "#8c564b", "#ff7f0e", "#2ca02c", "#17becf",
          "#bcbd22", "#e377c2", "#d62728", "#9467bd"]


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def rss_mib(pid):
    s = read(f"/proc/{pid}/status")
    if s is None:
        return None
    for line in s.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def process_cpu_s(pid):
    s = read(f"/proc/{pid}/stat")
    if s is None:
        return None
    fields = s[s.rindex(")") + 2:].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def threads_cpu_s(pid, names):
    """CPU time of the threads whose names start with one of names."""
    total = 0.0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        comm = read(f"/proc/{pid}/task/{tid}/comm")
        if comm and comm.strip().startswith(names):
            st = read(f"/proc/{pid}/task/{tid}/schedstat")
            if st:
                total += int(st.split()[0]) / 1e9
    return total


def one_run(build, workload, idle, policy, tmp):
    bursts, idle_s = IDLES[idle]
    env_add, wrapped, names = POLICIES[policy]
    marks = os.path.join(tmp, "marks")
    loop_log = os.path.join(tmp, "loop.log")
    trim_log = os.path.join(tmp, "trims.log")
    for p in (marks, loop_log, trim_log):
        if os.path.exists(p):
            os.unlink(p)
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "MALLOC_CONF", "MALLOC_ARENA_MAX",
              "MALLOC_TRIM_THRESHOLD_", "HEAPMIN_AUTO"):
        env.pop(k, None)
    env.update({k: v.format(build=build) for k, v in env_add.items()})
    env.update({"BENCH_MARKS": marks, "BENCH_BURSTS": str(bursts),
                "BENCH_IDLE": str(idle_s), "BENCH_LOOP_LOG": loop_log})
    argv = [a.format(build=build) for a in WORKLOADS[workload]]
    if wrapped:
        argv = [os.path.join(build, "programs", "heapmin"), "run", "--log",
                trim_log, "--"] + argv
    t0 = time.monotonic()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    samples = []  # (t, rss MiB, process CPU s, trimmer CPU s)
    cpu = trimmer = 0.0
    while p.poll() is None:
        r = rss_mib(p.pid)
        c = process_cpu_s(p.pid)
        tr = threads_cpu_s(p.pid, names) if names else 0.0
        if r is not None and c is not None and tr is not None:
            cpu, trimmer = max(cpu, c), max(trimmer, tr)
            samples.append((time.monotonic(), r, cpu, trimmer))
        time.sleep(SAMPLE_S)
    if p.returncode != 0:
        sys.exit(f"FAIL: {workload} under {policy} exited {p.returncode}")
    got = {}
    stall = None
    for line in (read(marks) or "").splitlines():
        what, value = line.split()
        if what == "stall":
            stall = float(value)
        else:
            got.setdefault(what, []).append(float(value))
    if len(got.get("idle", [])) != bursts or "end" not in got:
        sys.exit(f"FAIL: {workload} under {policy}: marks {got}")
    trims = []
    for path, key in ((loop_log, "trim "), (trim_log, " in ")):
        for line in (read(path) or "").splitlines():
            if key == "trim " and line.startswith(key):
                trims.append(float(line.split()[1]))
            elif key == " in " and key in line:
                trims.append(float(line.split(" in ")[1].split()[0]))
    return metrics(samples, got, bursts, t0, stall, trims)


def metrics(samples, marks, bursts, t0, stall, trims):
    """From the samples: MiB·s from each burst's frees to the next fill (or
    the end), resident size at the end of each idle, the slowest settle
    after the frees, CPU times, the trimmer's share of one CPU at rest (the
    last idle after its first 5 s), the worst stall, the longest trim."""
    ends = marks["fill"][1:] + marks["end"]
    mibs = 0.0
    settle = 0.0
    for k in range(bursts):
        a, z, idle = marks["free"][k], ends[k], marks["idle"][k]
        window = [(t, r) for t, r, _, _ in samples if a <= t <= z]
        for (t1, r1), (t2, _) in zip(window, window[1:]):
            mibs += r1 * (t2 - t1)
        if not window:
            continue
        final = window[-1][1]
        # Settled: from then on within 2 % (at least 2 MiB) of the end.
        at = idle
        for t, r in window:
            if abs(r - final) > max(2.0, 0.02 * final):
                at = max(at, t)
        settle = max(settle, at - idle)
    end_rss = [next((r for t, r, _, _ in reversed(samples) if t <= z), 0)
               for z in ends]
    rest_from = marks["idle"][-1] + 5
    rest = [(t, tr) for t, _, _, tr in samples if t >= rest_from]
    rest_share = ((rest[-1][1] - rest[0][1]) / (rest[-1][0] - rest[0][0])
                  if len(rest) > 1 and rest[-1][0] > rest[0][0] else None)
    last = samples[-1] if samples else (0, 0, 0, 0)
    return {"mibs": mibs, "end_mib": statistics.mean(end_rss),
            "peak_mib": max((r for _, r, _, _ in samples), default=0),
            "settle_s": settle, "process_cpu_s": last[2],
            "trimmer_cpu_s": last[3],
            "rest_pct": None if rest_share is None else 100 * rest_share,
            "stall_ms": stall, "trims": len(trims),
            "longest_trim_ms": max(trims) if trims else None,
            "seconds": marks["end"][0] - marks["fill"][0],
            "timeline": [(t - marks["fill"][0], r) for t, r, _, _ in samples]}


def median(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def ratio(a, b):
    return None if a is None or not b else a / b


def svg(path, timelines, workloads, idle):
    """Resident size over time, one panel per workload, a line per policy
    (the first run of each)."""
    w, h, pad = 520, 220, 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w * 2}" '
           f'height="{(h + pad) * ((len(workloads) + 1) // 2) + 60}" '
           'font-family="sans-serif" font-size="11">']
    policies = [p for p in POLICIES if any((wl, p) in timelines
                                           for wl in workloads)]
    for i, wl in enumerate(workloads):
        x0, y0 = (i % 2) * w + pad, (i // 2) * (h + pad) + 20
        lines = {p: timelines[(wl, p)] for p in policies
                 if (wl, p) in timelines}
        tmax = max((t for tl in lines.values() for t, _ in tl), default=1)
        rmax = max((r for tl in lines.values() for _, r in tl), default=1)
        out.append(f'<text x="{x0}" y="{y0 - 5}">{wl}, {idle} idle '
                   f'(0-{rmax:.0f} MiB, 0-{tmax:.0f} s)</text>')
        out.append(f'<rect x="{x0}" y="{y0}" width="{w - 2 * pad}" '
                   f'height="{h - pad}" fill="none" stroke="#ccc"/>')
        for p, tl in lines.items():
            pts = " ".join(f"{x0 + t / tmax * (w - 2 * pad):.1f},"
                           f"{y0 + (h - pad) * (1 - r / rmax):.1f}"
                           for t, r in tl)
            color = COLORS[list(POLICIES).index(p) % len(COLORS)]
            out.append(f'<polyline fill="none" stroke="{color}" '
                       f'stroke-width="1.2" points="{pts}"/>')
    y = ((len(workloads) + 1) // 2) * (h + pad) + 30
    for j, p in enumerate(policies):
        color = COLORS[list(POLICIES).index(p) % len(COLORS)]
        out.append(f'<text x="{pad + j * 100}" y="{y}" fill="{color}">'
                   f'{p}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--idle", default="short",
                    choices=["short", "long", "both"])
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--policies", default=",".join(POLICIES))
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    workloads = a.workloads.split(",")
    policies = a.policies.split(",")
    for name, group in (("workload", workloads), ("policy", policies)):
        known = WORKLOADS if name == "workload" else POLICIES
        for x in group:
            if x not in known:
                sys.exit(f"runtimes.py: unknown {name} {x!r} "
                         f"(known: {', '.join(known)})")
    for exe in ("/usr/bin/python3", "/usr/bin/ruby", "/usr/bin/node"):
        if any(WORKLOADS[w][0] == exe for w in workloads) and \
                not os.path.exists(exe):
            sys.exit(f"runtimes.py: {exe} is not installed")
    idles = ["short", "long"] if a.idle == "both" else [a.idle]
    rows, timelines = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for idle in idles:
            for run in range(a.runs):
                order = policies if run % 2 == 0 else policies[::-1]
                for wl in workloads:
                    for pol in order:
                        print(f"{idle} run {run + 1}/{a.runs}: {wl} {pol}",
                              file=sys.stderr, flush=True)
                        m = one_run(build, wl, idle, pol, tmp)
                        if run == 0:
                            timelines[(idle, wl, pol)] = m["timeline"]
                        m.update(idle=idle, workload=wl, policy=pol, run=run)
                        rows.append(m)
    keys = ["mibs", "peak_mib", "end_mib", "settle_s", "trimmer_cpu_s", "process_cpu_s",
            "rest_pct", "stall_ms", "longest_trim_ms", "trims", "seconds"]
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "runtimes.csv"), "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["idle", "workload", "policy", "run"] + keys)
            for r in rows:
                wr.writerow([r["idle"], r["workload"], r["policy"], r["run"]]
                            + [r[k] for k in keys])
        for idle in idles:
            svg(os.path.join(a.out, f"runtimes-{idle}.svg"),
                {(wl, p): tl for (i, wl, p), tl in timelines.items()
                 if i == idle}, workloads, idle)
    print(f"medians of {a.runs} runs; ratios against {REFERENCE} "
          "(MiB·s from each burst's frees to the next fill)\n")
    print(f"{'idle':5} {'workload':8} {'policy':16} {'MiB·s':>8} {'ratio':>6} "
          f"{'end MiB':>8} {'settle s':>8} {'trim CPU':>8} {'ratio':>6} "
          f"{'proc CPU':>8} {'rest %':>7} {'stall ms':>8} {'trim ms':>8} "
          f"{'trims':>5}")
    verdicts = []
    for idle in idles:
        for wl in workloads:
            med = {}
            for pol in policies:
                sel = [r for r in rows if r["idle"] == idle and
                       r["workload"] == wl and r["policy"] == pol]
                med[pol] = {k: median([r[k] for r in sel]) for k in keys}
            ref = med.get(REFERENCE)
            for pol in policies:
                m = med[pol]
                print(f"{idle:5} {wl:8} {pol:16} {fmt(m['mibs'], '8.0f')} "
                      f"{fmt(ratio(m['mibs'], ref and ref['mibs']), '6.2f')} "
                      f"{fmt(m['end_mib'], '8.1f')} "
                      f"{fmt(m['settle_s'], '8.2f')} "
                      f"{fmt(m['trimmer_cpu_s'], '8.3f')} "
                      f"{fmt(ratio(m['trimmer_cpu_s'], ref and ref['trimmer_cpu_s']), '6.2f')} "
                      f"{fmt(m['process_cpu_s'], '8.2f')} "
                      f"{fmt(m['rest_pct'], '7.3f')} "
                      f"{fmt(m['stall_ms'], '8.1f')} "
                      f"{fmt(m['longest_trim_ms'], '8.1f')} "
                      f"{fmt(m['trims'], '5.0f')}")
            if ref and GOAL in med:
                g = med[GOAL]
                verdicts.append((idle, wl, g, ref))
    if verdicts:
        print(f"\n{GOAL} against {REFERENCE} (goals: MiB·s <= 1.0x, trimmer "
              "CPU <= 1.0x, settle <= 1.5 s, at rest <= 0.1 % of one CPU, "
              "worst stall no worse):")
        for idle, wl, g, ref in verdicts:
            def mark(ok):
                return "met" if ok else "MISSED"
            mr = ratio(g["mibs"], ref["mibs"])
            cr = ratio(g["trimmer_cpu_s"], ref["trimmer_cpu_s"])
            parts = [f"MiB·s {fmt(mr, '.2f')}x {mark(mr is not None and mr <= 1.0)}",
                     f"CPU {fmt(cr, '.2f')}x {mark(cr is not None and cr <= 1.0)}",
                     f"settle {fmt(g['settle_s'], '.2f')} s "
                     f"{mark(g['settle_s'] is not None and g['settle_s'] <= 1.5)}"]
            if idle == "long":
                parts.append(f"rest {fmt(g['rest_pct'], '.3f')} % "
                             f"{mark(g['rest_pct'] is not None and g['rest_pct'] <= 0.1)}"
                             f" (loop {fmt(ref['rest_pct'], '.3f')} %)")
            if g["stall_ms"] is not None and ref["stall_ms"] is not None:
                parts.append(f"stall {g['stall_ms']:.1f} vs "
                             f"{ref['stall_ms']:.1f} ms "
                             f"{mark(g['stall_ms'] <= ref['stall_ms'])}")
            print(f"  {idle:5} {wl:7} " + ", ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
