#!/usr/bin/env python3
"""The preload agent and the heapmin command, tested with programs that
know nothing of heapmin.

Usage: agent.py TEST HEAPMIN AGENT HELLO HELLO_STATIC FRAGMENTER FORKER

TEST is one of:
  inert      without HEAPMIN_AUTO the agent does nothing; with a bad one
             (a table, then fuzzed strings) it prints one "heapmin:" line
             and the program's output and status are unchanged
  run        heapmin run: options, exit status, the environment it passes,
             exec'd children, and the programs the agent cannot enter
  frag       a C program's fragmented 256 MiB heap (glibc, then jemalloc
             preloaded): resident size falls to near the page-level limit
             under heapmin run, stays without it; trim and status
  python     Debian's /usr/bin/python3 dropping a cache of bytes objects
  prefork    a real prefork server (gunicorn, 2 workers): each worker has
             its own trimmer and socket; one that fills is trimmed
  control    the control channel's rules: no agent, other users (setpriv
             to nobody), a directory that is not private, stale sockets,
             an impostor socket
  fork       200 forks beside four allocating threads (glibc, jemalloc)
             and a C prefork parent whose workers trim themselves

Resident sizes are compared with wide margins (a trim moves them by more
than half of what was freed; nothing else moves them by a tenth), and the
agent's own report is checked against them. With HEAPMIN_REQUIRE_PROGRAMS=1
(the test matrix) a missing program (gunicorn, musl-gcc, setpriv) fails
instead of skipping.
"""
import os
import random
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
JEMALLOC = "libjemalloc.so.2"
# jemalloc's own time-based release off: only a trim moves its pages.
JEMALLOC_ENV = {"LD_PRELOAD": JEMALLOC,
                "MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1"}
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1 << 20


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def require(what):
    """A program this test needs is missing: skip, or fail in the matrix."""
    if os.environ.get("HEAPMIN_REQUIRE_PROGRAMS") == "1":
        raise Failed(f"{what} (HEAPMIN_REQUIRE_PROGRAMS=1)")
    print(f"SKIP: {what}")
    sys.exit(77)


class Tools:
    def __init__(self, argv):
        (self.heapmin, self.agent, self.hello, self.hello_static,
         self.fragmenter, self.forker) = map(os.path.abspath, argv)
        # A private XDG_RUNTIME_DIR, so that tests running side by side
        # (and the user's own agents) never see each other's sockets.
        self.tmp = tempfile.mkdtemp(prefix="heapmin-agent-test-")
        self.xdg = os.path.join(self.tmp, "run")
        os.mkdir(self.xdg, 0o700)
        self.sockets = os.path.join(self.xdg, "heapmin")

    def env(self, **extra):
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
             "XDG_RUNTIME_DIR": self.xdg, "LC_ALL": "C"}
        e.update(extra)
        return {k: v for k, v in e.items() if v is not None}

    def run(self, argv, env, stdin=None, timeout=120):
        return subprocess.run(argv, env=env, input=stdin, capture_output=True,
                              timeout=timeout)

    def cmd(self, *args, env=None):
        p = self.run([self.heapmin, *args], env or self.env())
        return p.returncode, p.stdout.decode(), p.stderr.decode()


def resident(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE


def ask(t, pid, request):
    """The raw protocol: the agent's key=value reply, as a dict."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(os.path.join(t.sockets, f"{pid}.sock"))
    s.sendall(request.encode() + b"\n")
    data = b""
    while not data.endswith(b"end\n"):
        chunk = s.recv(4096)
        if not chunk:
            raise Failed(f"{pid}: the reply has no end line: {data!r}")
        data += chunk
    s.close()
    lines = data.decode().splitlines()
    check(lines[-1] == "end", f"{pid}: reply {data!r}")
    return dict(line.split("=", 1) for line in lines[:-1])


def wait_for(what, cond, timeout=30.0, step=0.1, seen=None):
    """Polls cond until it is true; on timeout the failure says what (and
    what seen() reports then)."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            saw = f"; saw {seen()}" if seen else ""
            raise Failed(f"timed out after {timeout:.0f} s: {what}{saw}")
        time.sleep(step)


# Long enough for a loaded 2-core machine: the trimmer's budget may hold a
# trim off for seconds, and its checks wait for a CPU like everything else.
TRIM_DEADLINE = 180


def wait_trim(t, pid, what, enough=lambda s: int(s["trims"]) >= 1):
    """Waits on the trimmer's own accounting (the agent's status) for a
    trim; returns the status, or fails with the last one seen."""
    last = {}

    def done():
        last.update(ask(t, pid, "status"))
        return enough(last)
    wait_for(f"{what}: the agent's status shows a trim", done,
             TRIM_DEADLINE, 0.2,
             seen=lambda: f"resident {resident(pid) >> 20} MiB, status "
             + ", ".join(f"{k}={last.get(k)}" for k in
                         ("checks", "trims", "released", "deferred",
                          "count_ns", "trim_ns")))
    return ask(t, pid, "status")


def wait_socket(t, pid):
    path = os.path.join(t.sockets, f"{pid}.sock")
    wait_for(f"control socket of {pid}", lambda: os.path.exists(path), 10)
    # Bound before listen(): a connection may be refused for an instant.
    return wait_for(f"agent {pid} answering",
                    lambda: _try(lambda: ask(t, pid, "status")), 10)


def _try(fn):
    try:
        return fn()
    except OSError:
        return None


class Program:
    """A program that prints a "ready PID ..." line and idles until its
    standard input closes."""

    def __init__(self, argv, env):
        self.p = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        line = self.p.stdout.readline().decode().split()
        if not line or line[0] != "ready":
            self.p.kill()
            raise Failed(f"{argv[0]} did not start: {line} "
                         f"{self.p.stderr.read().decode()}")
        self.pid = int(line[1])
        self.numbers = [int(x) for x in line[2:]]

    def finish(self):
        self.p.stdin.close()
        rc = self.p.wait(60)
        err = self.p.stderr.read().decode()
        check(rc == 0, f"exit status {rc}: {err}")
        return err


# ---- inert -------------------------------------------------------------

BAD = ["intervall=1", "interval=0", "interval=1,", ",", "budget=0",
       "budget=101", "pressure=maybe", "control=1", "log=", "interval",
       "=1", "min_release=0", "interval=1s", "interval=nan",
       "log=/nonexistent-dir/heapmin.log", "interval=1,,budget=2"]


def fuzzed(rng, n):
    words = ["interval", "budget", "min_release", "pressure", "log",
             "control", "=", ",", "on", "off", "1", "0", ".", "x", "\x7f",
             "\xe9"]
    out = []
    while len(out) < n:
        s = "".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
        out.append(s)
    return out


def test_inert(t):
    base = t.run([t.hello, "a"], t.env())
    check(base.returncode == 3 and base.stdout == b"hello a\nthreads 1\n",
          f"hello itself: {base}")
    p = t.run([t.hello, "--settle", "a"], t.env(LD_PRELOAD=t.agent))
    check((p.returncode, p.stdout, p.stderr) == (3, base.stdout, b""),
          f"preloaded without HEAPMIN_AUTO, not inert: {p}")
    p = t.run([t.hello, "--settle", "a"],
              t.env(LD_PRELOAD=t.agent, HEAPMIN_AUTO=""))
    check((p.returncode, p.stdout, p.stderr) ==
          (3, b"hello a\nthreads 2\n", b""),
          f"HEAPMIN_AUTO='': one thread, the trimmer serving the socket, "
          f"expected: {p}")
    p = t.run([t.hello, "--settle", "a"],
              t.env(LD_PRELOAD=t.agent, HEAPMIN_AUTO="control=off"))
    check(p.stdout == b"hello a\nthreads 2\n" and p.stderr == b"",
          f"control=off: the trimmer alone expected: {p}")
    # A good string shows as the agent's one thread, a bad one as none.
    good = b"hello a\nthreads 2\n"
    rng = random.Random(10)
    cases = BAD + fuzzed(rng, 60)
    checked = 0
    for bad in cases:
        env = t.env(LD_PRELOAD=t.agent)
        env = {k.encode(): v.encode() for k, v in env.items()}
        env[b"HEAPMIN_AUTO"] = bad.encode("latin-1")
        p = subprocess.run([t.hello, "a"], env=env, capture_output=True,
                           timeout=60)
        if p.stderr == b"" and p.stdout == good:
            continue  # the fuzz made a good string: nothing to check
        lines = p.stderr.decode("latin-1").splitlines()
        check(p.returncode == 3 and p.stdout == base.stdout,
              f"HEAPMIN_AUTO={bad!r}: output or status changed: {p}")
        check(len(lines) == 1 and lines[0].startswith("heapmin: HEAPMIN_AUTO")
              and p.stderr.endswith(b"\n"),
              f"HEAPMIN_AUTO={bad!r}: not one heapmin: line: {p.stderr!r}")
        checked += 1
    check(checked >= len(BAD), f"only {checked} bad strings seen")
    # Each message names what is wrong.
    for bad, named in [("intervall=1", '"intervall"'),
                       ("budget=101", 'budget="101"'),
                       ("log=/nonexistent-dir/heapmin.log",
                        "/nonexistent-dir/heapmin.log")]:
        p = t.run([t.hello], t.env(LD_PRELOAD=t.agent, HEAPMIN_AUTO=bad))
        check(named in p.stderr.decode(), f"{bad}: {p.stderr!r}")
    # Debian's python3 too: the same output, one line more on stderr.
    p = t.run([PYTHON, "-c", "print(42)"],
              t.env(LD_PRELOAD=t.agent, HEAPMIN_AUTO="interval=x"))
    check(p.returncode == 0 and p.stdout == b"42\n" and
          p.stderr.count(b"\n") == 1, f"python3: {p}")
    print(f"inert: {checked} bad HEAPMIN_AUTO strings ({len(BAD)} listed, "
          f"the rest fuzzed): status, stdout unchanged, one stderr line each")


# ---- run -----------------------------------------------------------------

def test_run(t):
    def run(*args, env=None):
        p = t.run([t.heapmin, "run", *args], env or t.env())
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    rc, out, err = run("--", t.hello, "--settle", "x", "y")
    check((rc, out, err) == (3, "hello x y\nthreads 2\n", ""),
          f"run hello: {rc} {out!r} {err!r}")
    rc, out, err = run("--interval", "0.5", "--budget", "2", "--no-pressure",
                       t.hello, "--settle")
    check((rc, out, err) == (3, "hello\nthreads 2\n", ""),
          f"run with options: {rc} {out!r} {err!r}")
    # What it passes on: HEAPMIN_AUTO from the options (after one already
    # set: the options win), the agent after any LD_PRELOAD, a log path
    # made absolute.
    env = t.env(HEAPMIN_AUTO="budget=1", LD_PRELOAD=JEMALLOC)
    p = subprocess.run([t.heapmin, "run", "--budget", "3", "--log", "t.log",
                        "--no-control", "/usr/bin/env"], env=env,
                       cwd=t.tmp, capture_output=True, timeout=60)
    vars_ = dict(l.split("=", 1) for l in p.stdout.decode().splitlines())
    check(p.returncode == 0 and vars_.get("HEAPMIN_AUTO") ==
          f"budget=1,budget=3,log={t.tmp}/t.log,control=off",
          f"HEAPMIN_AUTO passed on: {vars_.get('HEAPMIN_AUTO')} {p.stderr}")
    check(vars_.get("LD_PRELOAD") == f"{JEMALLOC}:{t.agent}",
          f"LD_PRELOAD passed on: {vars_.get('LD_PRELOAD')}")
    # A child started with exec has its own agent.
    rc, out, err = run("--", "/bin/sh", "-c", f"exec {t.hello} --settle")
    check((rc, out) == (3, "hello\nthreads 2\n"), f"exec'd child: {out!r}")
    for bad, named in [(["--interval", "0", t.hello], "--interval"),
                       (["--interval"], "needs a value"),
                       (["--budget", "x", t.hello], "--budget"),
                       (["--log", "a,b", t.hello], "comma"),
                       (["--frob", t.hello], "unknown option --frob"),
                       (["--"], "no PROGRAM")]:
        rc, out, err = run(*bad)
        check(rc == 2 and named in err and "usage:" in err and out == "",
              f"run {bad}: {rc} {err!r}")
    rc, out, err = run(t.hello, env=t.env(HEAPMIN_AUTO="nosuch=1"))
    check(rc == 2 and "nosuch" in err, f"bad HEAPMIN_AUTO around run: {err}")
    rc, out, err = run("no-such-program-here")
    check(rc == 127 and "command not found" in err, f"not found: {rc} {err}")
    # Where the agent cannot work: said first, then the program runs as is.
    rc, out, err = run(t.hello_static)
    check(rc == 3 and out == "hello\nthreads 1\n" and
          "static executable" in err, f"static: {rc} {out!r} {err!r}")
    musl = shutil.which("musl-gcc")
    if musl is None:
        require("musl-gcc is not installed (apt-get install musl-tools)")
    exe = os.path.join(t.tmp, "hello-musl")
    subprocess.run([musl, "-o", exe, os.path.join(HERE, "hello.c")],
                   check=True)
    rc, out, err = run(exe)
    check(rc == 3 and out == "hello\nthreads 1\n" and "musl" in err,
          f"musl: {rc} {out!r} {err!r}")
    if os.geteuid() == 0:
        exe = os.path.join(t.tmp, "hello-setuid")
        shutil.copy(t.hello, exe)
        os.chmod(t.tmp, 0o755)
        os.chown(exe, 65534, 65534)
        os.chmod(exe, 0o4755)
        rc, out, err = run(exe)
        check(rc == 3 and "setuid" in err and out == "hello\nthreads 1\n",
              f"setuid: {rc} {out!r} {err!r}")
    else:
        print("note: not root: the setuid case is not checked")
    print("run: options, environment, exit status, exec'd child, static, "
          "musl and setuid programs checked")


# ---- frag, python ------------------------------------------------------

STATUS_LINES = ["process ", "resident:", "config:", "automatic:", "budget:",
                "next trim:", "requested:", "last trim:", "pressure:"]
TRIM_LINE = re.compile(r"^(\d+) \((\S+)\): [\d.]+ \S+ -> [\d.]+ \S+ "
                       r"\(-[\d.]+ \S+\) in [\d.]+ ms, (\w+) \(detected\)\n$")


def check_commands(t, pid, name, backend):
    rc, out, err = t.cmd("status", str(pid))
    lines = out.splitlines()
    check(rc == 0 and len(lines) == len(STATUS_LINES) and
          all(l.startswith(s) for l, s in zip(lines, STATUS_LINES)) and
          f"({name})" in lines[0] and backend in lines[0],
          f"heapmin status {pid}: {rc} {out!r} {err!r}")
    rc, out, err = t.cmd("trim", str(pid))
    m = TRIM_LINE.match(out)
    check(rc == 0 and m and m.group(1) == str(pid) and m.group(3) == backend,
          f"heapmin trim {pid}: {rc} {out!r} {err!r}")
    check(ask(t, pid, "status")["requests"] == "1", "the request not counted")
    return lines


def idle_stays_high(prog, high, low, seconds=3.0):
    """Without the agent nothing moves resident size by a tenth."""
    floor = high - (high - low) // 10
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        r = resident(prog.pid)
        check(r >= floor, f"without the agent resident fell to {r >> 20} "
              f"MiB (from {high >> 20}): something else trims")
        time.sleep(0.2)
    return resident(prog.pid)


def trimmed(t, prog, high, low, what):
    """Under the agent resident size falls by more than half of what was
    freed above the limit, and the agent's report says so."""
    goal = low + (high - low) // 2
    s = wait_trim(t, prog.pid, what,
                  lambda s: int(s["released"]) >= (high - low) // 2)
    check(resident(prog.pid) <= goal,
          f"{what}: resident {resident(prog.pid) >> 20} MiB after the "
          f"agent's trims, goal <= {goal >> 20} MiB")
    check(int(s["released"]) >= (high - low) // 2,
          f"{what}: the agent reports {s['trims']} trims, "
          f"{int(s['released']) >> 20} MiB")
    return resident(prog.pid), s


def frag_case(t, label, extra_env, backend):
    env = t.env(**extra_env)
    plain = Program([t.fragmenter], env)
    high, limit = plain.numbers
    idle = idle_stays_high(plain, high, limit)
    plain.finish()
    prog = Program([t.heapmin, "run", "--", t.fragmenter], env)
    high2, limit2 = prog.numbers
    wait_socket(t, prog.pid)
    after, s = trimmed(t, prog, high2, limit2, f"{label} under heapmin run")
    check_commands(t, prog.pid, "fragmenter", backend)
    sock = os.path.join(t.sockets, f"{prog.pid}.sock")
    prog.finish()
    check(not os.path.exists(sock), f"{sock} left behind at exit")
    print(f"{label}: without the agent {high >> 20} MiB after the frees, "
          f"{idle >> 20} MiB 3 s later (limit {limit >> 20}); with it "
          f"{high2 >> 20} -> {after >> 20} MiB (limit {limit2 >> 20}), "
          f"{s['trims']} automatic trims released "
          f"{int(s['released']) >> 20} MiB in "
          f"{int(s['trim_ns']) / 1e6:.0f} ms")


def test_frag(t):
    frag_case(t, "C program, glibc", {}, "malloc_trim")
    if not jemalloc_installed():
        require(f"{JEMALLOC} is not installed (apt-get install "
                "libjemalloc-dev)")
    frag_case(t, "C program, jemalloc preloaded", JEMALLOC_ENV, "jemalloc")


def test_python(t):
    if not os.access(PYTHON, os.X_OK):
        require(f"{PYTHON} is not installed")
    script = os.path.join(HERE, "cache.py")
    plain = Program([PYTHON, script], t.env())
    base, high = plain.numbers
    idle = idle_stays_high(plain, high, base)
    plain.finish()
    prog = Program([t.heapmin, "run", PYTHON, script], t.env())
    base2, high2 = prog.numbers
    wait_socket(t, prog.pid)
    after, s = trimmed(t, prog, high2, base2, "python3 under heapmin run")
    check_commands(t, prog.pid, "python3", "malloc_trim")
    prog.finish()
    print(f"python3: without the agent {high >> 20} MiB after dropping the "
          f"cache, {idle >> 20} MiB 3 s later (before the fill: "
          f"{base >> 20}); with it {high2 >> 20} -> {after >> 20} MiB, "
          f"{s['trims']} automatic trims released "
          f"{int(s['released']) >> 20} MiB")


# ---- prefork -------------------------------------------------------------

def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(x) for x in f.read().split()]


def test_prefork(t):
    gunicorn = shutil.which("gunicorn")
    if gunicorn is None:
        require("gunicorn is not installed (apt-get install gunicorn)")
    import urllib.request
    master = subprocess.Popen(
        [t.heapmin, "run", "--", gunicorn, "--chdir", HERE, "-w", "2",
         "-b", "127.0.0.1:0", "app:app"],
        env=t.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        port = None
        while port is None:
            line = master.stderr.readline().decode()
            check(line, "gunicorn exited before listening")
            m = re.search(r"Listening at: http://127.0.0.1:(\d+)", line)
            port = m and m.group(1)
        workers = wait_for("two gunicorn workers",
                           lambda: len(children(master.pid)) == 2 and
                           children(master.pid), 30)
        for pid in [master.pid] + workers:
            s = wait_socket(t, pid)
            check(s["running"] == "1", f"{pid} has no trimmer")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/fill",
                                    timeout=60) as r:
            filler = int(r.read())
        check(filler in workers, f"/fill served by {filler}, not a worker")
        s = wait_trim(t, filler, f"worker {filler}",
                      lambda s: int(s["released"]) >= 50 * MIB)
        other = [w for w in workers if w != filler][0]
        check_commands(t, filler, "gunicorn", "malloc_trim")
        check_commands(t, master.pid, "gunicorn", "malloc_trim")
        # A worker that dies is replaced by a fork of the master: it gets
        # its own trimmer too.
        os.kill(other, 9)
        new = wait_for("a replacement worker",
                       lambda: [w for w in children(master.pid)
                                if w not in workers], 30)[0]
        check(wait_socket(t, new)["running"] == "1", "replacement: no trimmer")
        print(f"prefork: gunicorn master {master.pid} and workers "
              f"{workers} each have a trimmer and a socket; worker {filler} "
              f"filled 150 MiB, kept 10 %, and trimmed itself: "
              f"{s['trims']} trims released {int(s['released']) >> 20} MiB, "
              f"resident now {resident(filler) >> 20} MiB; the replacement "
              f"worker {new} has its own")
    finally:
        master.terminate()
        master.wait(60)


# ---- control -------------------------------------------------------------

def test_control(t):
    idle = subprocess.Popen(["sleep", "60"], env=t.env())
    try:
        rc, out, err = t.cmd("trim", str(idle.pid))
        check(rc == 1 and err.count("\n") == 1 and
              "has no heapmin agent" in err and "heapmin run" in err,
              f"no agent: {rc} {err!r}")
        # A socket left by a process that had the PID: no one listens.
        os.makedirs(t.sockets, 0o700, exist_ok=True)
        stale = os.path.join(t.sockets, f"{idle.pid}.sock")
        s = socket.socket(socket.AF_UNIX)
        s.bind(stale)
        s.close()
        rc, out, err = t.cmd("status", str(idle.pid))
        check(rc == 1 and "has no heapmin agent" in err and
              not os.path.exists(stale), f"stale socket: {rc} {err!r}")
        # An impostor listening under another PID's name.
        s = socket.socket(socket.AF_UNIX)
        s.bind(stale)
        s.listen(1)
        rc, out, err = t.cmd("trim", str(idle.pid))
        check(rc == 1 and "is served by process" in err,
              f"impostor: {rc} {err!r}")
        s.close()
        os.unlink(stale)
    finally:
        idle.kill()
    for args, code, said in [(["trim"], 2, "give one PID"),
                             (["trim", "x1"], 2, "not a process ID"),
                             (["status", "1", "2"], 2, "give one PID"),
                             (["trim", "0"], 2, "not a process ID"),
                             (["trim", "99999999"], 1, "no process"),
                             (["frob"], 2, "unknown command")]:
        rc, out, err = t.cmd(*args)
        check(rc == code and said in err, f"heapmin {args}: {rc} {err!r}")

    # Sockets of processes that are gone are removed by the next agent.
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = os.path.join(t.sockets, f"{dead.pid}.sock")
    open(stale, "w").close()
    prog = Program([t.heapmin, "run", t.fragmenter, "--mib", "16"], t.env())
    wait_socket(t, prog.pid)
    check(not os.path.exists(stale), "a dead process's socket was kept")
    mode = stat.S_IMODE(os.lstat(t.sockets).st_mode)
    check(mode == 0o700, f"socket directory mode {mode:o}")
    check(ask(t, prog.pid, "frob").get("error", "").startswith("unknown"),
          "an unknown request must be answered with an error")
    # Clients that hang up before the answer, or never send: the host
    # lives on (no SIGPIPE) and the agent answers the next one.
    sock = os.path.join(t.sockets, f"{prog.pid}.sock")
    for request in [b"trim\n", b"status\n", b""]:
        c = socket.socket(socket.AF_UNIX)
        c.connect(sock)
        c.sendall(request)
        c.close()
    check(ask(t, prog.pid, "status")["requests"] == "1" and
          prog.p.poll() is None, "the agent after clients that hung up")

    if os.geteuid() != 0:
        print("note: not root: the other-user checks are not checked")
    elif shutil.which("setpriv") is None:
        require("setpriv is not installed (util-linux)")
    else:
        # nobody must be able to run the command itself.
        pub = tempfile.mkdtemp(prefix="heapmin-pub-")
        os.chmod(pub, 0o755)
        exe = os.path.join(pub, "heapmin")
        shutil.copy(t.heapmin, exe)
        os.chmod(exe, 0o755)
        nobody = ["setpriv", "--reuid=65534", "--regid=65534",
                  "--clear-groups", exe]
        p = t.run(nobody + ["trim", str(prog.pid)], t.env())
        err = p.stderr.decode()
        check(p.returncode == 1 and "belongs to uid 0: only that user and "
              "root may control it" in err,
              f"nobody, the command: {p.returncode} {err!r}")
        # With the directories and the socket opened up (as by a careless
        # chmod), the agent itself still refuses, and does nothing. The
        # command cannot find the socket as nobody (another user's
        # environment is not readable): the request is sent by hand.
        sock = os.path.join(t.sockets, f"{prog.pid}.sock")
        client = ("import socket, sys; s = socket.socket(socket.AF_UNIX); "
                  "s.connect(sys.argv[1]); s.sendall(b'trim\\n'); "
                  "print(s.recv(4096).decode(), end='')")
        for d in (t.tmp, t.xdg, t.sockets):
            os.chmod(d, 0o711)
        os.chmod(sock, 0o666)
        try:
            p = t.run(nobody[:-1] + [PYTHON, "-c", client, sock], t.env())
        finally:
            for d in (t.tmp, t.xdg, t.sockets):
                os.chmod(d, 0o700)
            os.chmod(sock, 0o600)
        out = p.stdout.decode()
        check(p.returncode == 0 and
              out.startswith("error=refused: uid 65534 may not control"),
              f"nobody, directory opened up: {p.returncode} {out!r} "
              f"{p.stderr!r}")
        s = ask(t, prog.pid, "status")
        check(s["requests"] == "1", "a refused request trimmed")
        shutil.rmtree(pub)
        print("control: another user is refused by the directory and, "
              "with the directory opened up, by the agent; nothing trimmed")
    prog.finish()

    # A directory that is not private: no socket, one line, still trims.
    for make, said in [(lambda d: os.symlink(t.tmp, d), "symbolic link"),
                       (lambda d: os.mkdir(d, 0o755), "open to others")]:
        xdg = tempfile.mkdtemp(dir=t.tmp)
        make(os.path.join(xdg, "heapmin"))
        p = t.run([t.hello], t.env(LD_PRELOAD=t.agent, HEAPMIN_AUTO="",
                                   XDG_RUNTIME_DIR=xdg))
        check(p.returncode == 3, f"{said}: status {p.returncode}")
        # The control thread says why and ends; the program may exit first.
        err = p.stderr.decode()
        check(err == "" or (err.count("\n") == 1 and said in err),
              f"{said}: {err!r}")
        prog = Program([t.fragmenter, "--mib", "16"],
                       t.env(LD_PRELOAD=t.agent, HEAPMIN_AUTO="",
                             XDG_RUNTIME_DIR=xdg))
        time.sleep(0.5)
        err = prog.finish()
        check(err.count("\n") == 1 and said in err and
              err.startswith("heapmin: no control socket"),
              f"{said}: {err!r}")
    # Without XDG_RUNTIME_DIR: /tmp/heapmin-UID, made private.
    prog = Program([t.heapmin, "run", t.fragmenter, "--mib", "16"],
                   t.env(XDG_RUNTIME_DIR=None))
    d = f"/tmp/heapmin-{os.geteuid()}"
    sock = os.path.join(d, f"{prog.pid}.sock")
    wait_for(sock, lambda: os.path.exists(sock), 10)
    st = os.lstat(d)
    check(stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700
          and st.st_uid == os.geteuid(), f"{d}: {st}")
    rc, out, err = t.cmd("status", str(prog.pid), env=t.env(
        XDG_RUNTIME_DIR=None))
    check(rc == 0, f"status via /tmp: {err}")
    prog.finish()
    check(not os.path.exists(sock), f"{sock} left behind")
    print("control: no agent, stale and impostor sockets, bad arguments, "
          "directories that are not private, /tmp fallback checked")


# ---- fork ----------------------------------------------------------------

def jemalloc_installed():
    return subprocess.run(["/bin/true"], env={"LD_PRELOAD": JEMALLOC},
                          capture_output=True).stderr == b""


def test_fork(t):
    forks = [("glibc", {})]
    if jemalloc_installed():
        forks.append(("jemalloc", {"LD_PRELOAD": JEMALLOC}))
    for label, extra in forks:
        start = time.monotonic()
        p = t.run([t.heapmin, "run", t.forker, "200"], t.env(**extra),
                  timeout=300)
        check(p.returncode == 0 and b"200 children, 0 failed" in p.stdout
              and p.stderr == b"",
              f"forker ({label}): {p.returncode} {p.stdout} {p.stderr}")
        print(f"fork ({label}): 200 forks beside 4 allocating threads and "
              f"the agent's, {time.monotonic() - start:.1f} s, no deadlock")
    # A C prefork parent: each worker fragments its own heap and trims it.
    parent = subprocess.Popen(
        [t.heapmin, "run", t.fragmenter, "--fork", "2", "--mib", "128"],
        env=t.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        for _ in range(2):
            line = parent.stdout.readline().decode().split()
            check(line and line[0] == "ready", f"worker: {line}")
            pid, high, limit = map(int, line[1:])
            check(pid in children(parent.pid), f"{pid} is not a worker")
            wait_socket(t, pid)
            # The premise, as the worker measured it after its frees: most
            # of its 128 MiB freed and still resident.
            check(high - limit >= 64 * MIB,
                  f"worker {pid}: {high >> 20} MiB resident after the "
                  f"frees, limit {limit >> 20}: nothing to trim")
            goal = limit + (high - limit) // 2
            s = wait_trim(t, pid, f"worker {pid}",
                          lambda s: int(s["released"]) >= (high - limit) // 2)
            check(resident(pid) <= goal,
                  f"worker {pid}: resident {resident(pid) >> 20} MiB after "
                  f"its trims, goal <= {goal >> 20} MiB")
            print(f"fork: prefork worker {pid}: {high >> 20} -> "
                  f"{resident(pid) >> 20} MiB (limit {limit >> 20}), "
                  f"{s['trims']} trims by its own trimmer")
        wait_socket(t, parent.pid)
    finally:
        parent.stdin.close()
        check(parent.wait(60) == 0, "prefork parent failed")
    # The forker's children that left by _exit left sockets: the last
    # agent started cleaned them up, so only live processes have one.
    prog = Program([t.heapmin, "run", t.fragmenter, "--mib", "1"], t.env())
    wait_socket(t, prog.pid)
    left = sorted(os.listdir(t.sockets))
    prog.finish()
    check(left == [f"{prog.pid}.sock"], f"sockets left: {left}")
    if not jemalloc_installed():
        require(f"{JEMALLOC} is not installed (apt-get install "
                "libjemalloc-dev): the forks beside jemalloc did not run")


TESTS = {"inert": test_inert, "run": test_run, "frag": test_frag,
         "python": test_python, "prefork": test_prefork,
         "control": test_control, "fork": test_fork}


def main():
    if len(sys.argv) != 8 or sys.argv[1] not in TESTS:
        print(__doc__)
        return 2
    t = Tools(sys.argv[2:])
    try:
        TESTS[sys.argv[1]](t)
    except Failed as e:
        print(f"FAIL: {e}")
        return 1
    finally:
        shutil.rmtree(t.tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
