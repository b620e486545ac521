#!/usr/bin/env python3
"""Do no harm: programs run plainly and under the agent (heapmin run) must
behave the same. Each case runs both ways and compares what the program
itself reports; a case first checks its premise (the plain run behaves as
the case says), and skips with the reason where this machine cannot run
it (not root, a tool missing).

Usage: harm.py [--long] HEAPMIN AGENT HARM

Cases (harm.c has the programs):
  closefds       a daemon's start: every descriptor above 2 closed, then a
                 pipe and a listening socket of its own: all bytes read,
                 all connections accepted, none of its descriptors closed
                 by someone else, no CPU spent meanwhile; the agent makes
                 a new control socket afterwards
  exit-main      the main thread ends with pthread_exit(): the process
                 ends when its last own thread does
  fork-thread    a fork from a thread whose child's only thread ends
  setuid         a switch to another user after start-up: heapmin status
                 still reaches the agent
  unshare        unshare --user, unshare --mount and nsenter --mount
                 (refused by the kernel in a multi-threaded process)
  setpriv        setpriv to nobody (its own thread's capabilities changed
                 before set*id(), which glibc applies to every thread)
  nproc          RLIMIT_NPROC with little room (as nobody): the program's
                 own forks work; the agent says once that it stays out
  pids           the same in a cgroup whose pids.max is 64
  mlock          mlockall(): the agent's thread adds little locked memory,
                 and as nobody (RLIMIT_MEMLOCK) it still works
  exit-children  children that leave by _exit() leave no socket behind
  clone          clone() with namespace flags from a program with the
                 agent's thread: each child has one thread and may
                 unshare and switch user, as plainly
  nginx          Debian's nginx, its workers switching to www-data: the
                 same answers; master and workers reachable
  redis          redis-server (jemalloc) and a BGSAVE child
  memcached      memcached switching to nobody
  apache2        Apache prefork, children as www-data, a graceful restart:
                 the same answers; parent and children reachable
  postgresql     PostgreSQL 15 as postgres: initdb, a postmaster whose
                 backends are fork children, pgbench; postmaster and a
                 backend reachable
  cpython        CPython's own test of a fork from a thread whose thread
                 then ends (test_threading): the same verdict both ways
With --long, also CPython's test of dup2() onto every free descriptor
(test_large_fd_transfer, a race in principle: see KNOWN), and its
regression modules that exercise processes, threads, signals and
descriptors, whole, both ways.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

PYTHON = "/usr/bin/python3"
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
LONG_MODULES = ["test_os", "test_subprocess", "test_threading", "test_signal",
                "test_fork1", "test_wait4", "test_multiprocessing_fork",
                "test_multiprocessing_forkserver",
                "test_multiprocessing_spawn", "test_socket", "test_selectors",
                "test_pty", "test_faulthandler", "test_asyncio",
                "test_concurrent_futures", "test_tempfile", "test_resource"]


class Failed(Exception):
    pass


class Skip(Exception):
    """This machine cannot run the case (not root, a chroot)."""


class Missing(Exception):
    """A program the case needs is not installed: the test matrix, which
    installs everything, fails instead of skipping."""


def check(cond, what):
    if not cond:
        raise Failed(what)


class Runner:
    def __init__(self, heapmin, agent, harm):
        self.heapmin, self.harm = os.path.abspath(heapmin), os.path.abspath(harm)
        self.agent = os.path.abspath(agent)
        self.tmp = tempfile.mkdtemp(prefix="heapmin-harm-")
        self.xdg = os.path.join(self.tmp, "run")
        os.mkdir(self.xdg, 0o700)

    def public(self):
        """harm and the agent copied where nobody can run them (the build
        tree may be in root's home): the program's path and the agent's."""
        pub = os.path.join(self.tmp, "pub")
        if not os.path.isdir(pub):
            os.makedirs(os.path.join(pub, "heapmin"))
            shutil.copy(self.harm, pub)
            shutil.copy(self.agent, os.path.join(pub, "heapmin"))
            for d, _, files in os.walk(self.tmp):
                if d.startswith(pub) or d == self.tmp:
                    os.chmod(d, 0o755)
                    for f in files:
                        os.chmod(os.path.join(d, f), 0o755)
        return (os.path.join(pub, os.path.basename(self.harm)),
                os.path.join(pub, "heapmin", os.path.basename(self.agent)))

    def env(self):
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "LC_ALL": "C", "XDG_RUNTIME_DIR": self.xdg}

    def server_env(self):
        """Servers rewrite their environment for their process title, so
        the command cannot read a private XDG_RUNTIME_DIR from it: without
        one, the agent's socket is in /tmp/heapmin-UID, where the command
        also looks."""
        e = self.env()
        del e["XDG_RUNTIME_DIR"]
        return e

    def argv(self, agent, argv):
        return [*([self.heapmin, "run", "--"] if agent else []),
                *argv]

    def run(self, agent, argv, timeout=60, env=None):
        """Runs to the end; a program still running at timeout is killed
        (SIGKILL: one whose threads block every signal ignores SIGTERM)."""
        p = subprocess.Popen(self.argv(agent, argv),
                             env=env or self.env(), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise Failed(f"{' '.join(argv)} {'under the agent ' if agent else ''}"
                         f"still running after {timeout} s (output "
                         f"{out.decode()!r})")
        return p.returncode, out.decode(), err.decode()

    def start(self, agent, argv):
        """Starts a program that prints "ready PID" and idles until its
        standard input closes; returns (process, lines before ready, pid)."""
        p = subprocess.Popen(self.argv(agent, argv), env=self.env(),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        lines = []
        for line in p.stdout:
            line = line.decode().rstrip("\n")
            if line.startswith("ready "):
                return p, lines, int(line.split()[1])
            lines.append(line)
        p.wait()
        raise Failed(f"{argv} exited before it was ready: {lines} "
                     f"{p.stderr.read().decode()!r}")

    def status(self, pid, deadline=20):
        """heapmin status PID, until it answers or deadline passes."""
        end = time.monotonic() + deadline
        while True:
            p = subprocess.run([self.heapmin, "status", str(pid)],
                               env=self.env(), capture_output=True)
            if p.returncode == 0 or time.monotonic() > end:
                return p.returncode, p.stdout.decode() + p.stderr.decode()
            time.sleep(0.5)


def finish(p):
    p.stdin.close()
    rc = p.wait(60)
    return rc, p.stderr.read().decode()


def case_closefds(r):
    results = {}
    for agent in (False, True):
        p, lines, pid = r.start(agent, [r.harm, "closefds"])
        if agent:
            # The socket the program closed is made again by the agent.
            rc, text = r.status(pid)
            check(rc == 0, f"no agent reachable after the program closed its "
                  f"descriptors: {text}")
        rc, err = finish(p)
        cpu = int(re.search(r"cpu_ms (\d+)", err).group(1))
        results[agent] = (lines, rc, cpu)
    (plain, prc, pcpu), (under, arc, acpu) = results[False], results[True]
    check(prc == 0 and plain == ["read 1920 of 1920 bytes, accepted 10 of 10, "
                                 "closed by someone else 0"],
          f"premise: plainly {plain} (exit {prc})")
    check(arc == 0 and under == plain, f"under the agent {under} (exit {arc})")
    # A thread polling a closed number spins: seconds of CPU in 5 s.
    check(acpu < 1000, f"the program used {acpu} ms of CPU in 5 s under "
          f"the agent ({pcpu} ms plainly)")
    return (f"{under[0]} both ways; CPU {pcpu} ms plainly, {acpu} ms under "
            "the agent; its control socket was made again")


def same_run(r, argv, what, timeout=60):
    start = time.monotonic()
    plain = r.run(False, argv, timeout)
    t_plain = time.monotonic() - start
    start = time.monotonic()
    under = r.run(True, argv, timeout)
    t_under = time.monotonic() - start
    check(plain[0] == 0, f"premise: {' '.join(argv)} plainly: exit "
          f"{plain[0]}, {plain[2].strip()!r}")
    check(under[:2] == plain[:2], f"{what}: plainly {plain[:2]}, under the "
          f"agent {under[:2]}, {under[2].strip()!r}")
    return plain, under, t_plain, t_under


def case_exit_main(r):
    _, _, a, b = same_run(r, [r.harm, "exit-main"], "exit-main")
    return f"ended after {a:.1f} s plainly, {b:.1f} s under the agent"


def case_fork_thread(r):
    _, _, a, b = same_run(r, [r.harm, "fork-thread"], "fork-thread")
    return f"child ended; {a:.1f} s plainly, {b:.1f} s under the agent"


def case_setuid(r):
    if os.geteuid() != 0:
        raise Skip("not root: a program cannot switch users here")
    p, _, pid = r.start(True, [r.harm, "setuid"])
    time.sleep(1.5)  # the switch happens 1 s after start
    rc, text = r.status(pid)
    finish(p)
    check(rc == 0 and "agent" in text, f"after the switch to uid 65534: "
          f"{text!r}")
    return "heapmin status reached the agent after the switch to uid 65534"


def case_unshare(r):
    """Each call the kernel refuses with another thread present, each on
    its own: a chroot refuses user namespaces to everyone."""
    ran, cannot = [], []
    for argv in (["unshare", "--user", "true"], ["unshare", "--mount", "true"],
                 ["nsenter", "--mount=/proc/self/ns/mnt", "true"]):
        if shutil.which(argv[0]) is None:
            raise Missing(f"{argv[0]} is not installed (util-linux)")
        plain = r.run(False, argv)
        if plain[0] != 0:
            cannot.append(f"{' '.join(argv)} fails here without heapmin "
                          f"({plain[2].strip()})")
            continue
        under = r.run(True, argv)
        check(under[0] == 0, f"{' '.join(argv)} under the agent: exit "
              f"{under[0]}, {under[2].strip()!r}")
        ran.append(" ".join(argv))
    if not ran:
        raise Skip("; ".join(cannot))
    return (", ".join(ran) + ": exit 0 both ways" +
            "".join(f"; not run: {c}" for c in cannot))


def case_nproc(r):
    if os.geteuid() != 0:
        raise Skip("not root: cannot run a program as nobody")
    if shutil.which("setpriv") is None or shutil.which("prlimit") is None:
        raise Missing("setpriv and prlimit are not installed (util-linux)")
    harm, agent = r.public()
    return forks_stay_out(r, [*NOBODY, "prlimit", "--nproc=64:64"], harm,
                          agent, "under RLIMIT_NPROC 64", "RLIMIT_NPROC is 64")


def forks_stay_out(r, wrap, harm, agent, where, reason):
    """wrap + [harm, "forks"] plainly and with the agent preloaded into
    harm alone: the same output (its thread count too), and the agent's one
    line, naming reason, saying that it stays out."""
    plain = r.run(False, [*wrap, harm, "forks"])
    under = r.run(False, [*wrap, "env", f"LD_PRELOAD={agent}", "HEAPMIN_AUTO=",
                          harm, "forks"])
    check(plain[0] == 0, f"premise: forks {where} plainly: exit "
          f"{plain[0]}, {plain[2].strip()!r}")
    check(under[:2] == plain[:2], f"forks {where}: plainly {plain[:2]}, "
          f"under the agent {under[:2]}, {under[2].strip()!r}")
    said = [l for l in under[2].splitlines() if l.startswith("heapmin:")]
    check(len(said) == 1 and reason in said[0], f"the agent said {said}")
    return (f"{', '.join(plain[1].split(chr(10))).strip(', ')} both ways; "
            f"the agent said: {said[0]}")


def pids_cgroup(name):
    """A new cgroup with the pids controller (v1 or v2), or a Skip."""
    for base in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup"):
        if not os.path.exists(os.path.join(base, "pids.max")) and \
                not os.path.exists(os.path.join(base, "cgroup.procs")):
            continue
        d = os.path.join(base, name)
        try:
            os.mkdir(d)
        except OSError:
            continue
        if os.path.exists(os.path.join(d, "pids.max")):
            return d
        os.rmdir(d)
    raise Skip("no cgroup with the pids controller can be made here")


def case_pids(r):
    """A cgroup whose pids.max is 64: deep in the hierarchy, found when the
    trimmer begins, which then ends; at the root of a cgroup namespace with
    its own pids mount, as in a container, found at start: no thread."""
    if os.geteuid() != 0:
        raise Skip("not root: cannot make a cgroup")
    cg = pids_cgroup(f"heapmin-harm-{os.getpid()}")
    enter = 'echo $$ > "$0/cgroup.procs" && exec "$@"'
    # The pids hierarchy mounted afresh in a new cgroup and mount namespace.
    contain = ("mount -t tmpfs tmpfs /sys/fs/cgroup && "
               "mkdir /sys/fs/cgroup/pids && "
               "mount -t cgroup -o pids cgroup /sys/fs/cgroup/pids && "
               'exec "$@"')
    try:
        with open(os.path.join(cg, "pids.max"), "w") as f:
            f.write("64")
        deep = forks_stay_out(r, ["sh", "-c", enter, cg], r.harm, r.agent,
                              "in a cgroup of 64 pids", "pids.max is 64")
        wrap = ["sh", "-c", enter, cg, "unshare", "--cgroup", "--mount",
                "sh", "-c", contain, "sh"]
        if r.run(False, [*wrap, "true"])[0] != 0 or not cg.startswith(
                "/sys/fs/cgroup/pids/"):
            return deep + "; no container-like cgroup namespace here"
        root = forks_stay_out(r, wrap, r.harm, r.agent,
                              "as a container of 64 pids",
                              "pids.max is 64 in /sys/fs/cgroup/pids,")
    finally:
        os.rmdir(cg)
    return f"{deep}; as a container: {root}"


def case_setpriv(r):
    """glibc applies set*id() to every thread and aborts if one thread's
    call fails: setpriv changes its own thread's capabilities first."""
    if os.geteuid() != 0:
        raise Skip("not root: cannot switch users")
    if shutil.which("setpriv") is None:
        raise Missing("setpriv is not installed (util-linux)")
    argv = [*NOBODY, "/bin/true"]
    plain = r.run(False, argv)
    under = r.run(True, argv)
    check(plain[0] == 0, f"premise: {' '.join(argv)}: exit {plain[0]}, "
          f"{plain[2].strip()!r}")
    check(under[0] == 0, f"{' '.join(argv)} under the agent: exit "
          f"{under[0]} {under[2].strip()!r}")
    return f"{' '.join(argv)}: exit 0 both ways"


def serve(r, agent, argv):
    """Starts a server plainly or under the agent, in a session of its own:
    Apache signals its whole process group on a restart."""
    return subprocess.Popen(r.argv(agent, argv), env=r.server_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def until_up(p, what, attempt, timeout=30):
    """attempt() until it answers (no OSError, a true value) while server p
    runs; returns its answer."""
    end = time.monotonic() + timeout
    while True:
        try:
            v = attempt()
            if v:
                return v
        except OSError:
            pass
        check(p.poll() is None and time.monotonic() < end,
              f"{what}: {p.stderr.read().decode()!r}" if p.poll() is not None
              else f"{what} within {timeout} s")
        time.sleep(0.2)


def http_get(port, path="/"):
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}",
                                timeout=10) as resp:
        return resp.read().decode()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def case_nginx(r):
    """Debian's nginx: a master that forks workers which switch to
    www-data (set*id() with the agent's thread paused)."""
    if os.geteuid() != 0:
        raise Skip("not root: nginx's workers cannot switch users")
    if shutil.which("nginx") is None:
        raise Missing("nginx is not installed (apt-get install nginx-light)")
    seen = {}
    for agent in (False, True):
        d = os.path.join(r.tmp, f"nginx-{int(agent)}")
        os.makedirs(os.path.join(d, "logs"))
        os.chmod(d, 0o755)
        port = free_port()
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""user www-data; worker_processes 2; pid {d}/nginx.pid;
error_log {d}/logs/error.log; daemon off;
events {{ worker_connections 64; }}
http {{ access_log off; server {{ listen 127.0.0.1:{port};
  location / {{ return 200 "hello\\n"; }} }} }}
""")
        p = serve(r, agent, ["nginx", "-c", conf, "-p", d])
        try:
            body = until_up(p, "nginx did not serve",
                            lambda: [http_get(port) for _ in range(50)])
            workers = children(p.pid)
            users = sorted({os.stat(f"/proc/{w}").st_uid for w in workers})
            statuses = [r.status(pid)[0] for pid in [p.pid] + workers] \
                if agent else []
        finally:
            p.terminate()
            rc = p.wait(30)
        seen[agent] = (body.count("hello\n"), len(workers), users, rc)
        if agent:
            check(statuses == [0] * (1 + len(workers)),
                  f"heapmin status of master and workers: {statuses}")
    check(seen[False][:3] == (50, 2, [33]) and seen[False][3] == 0,
          f"premise: nginx plainly: {seen[False]}")
    check(seen[True] == seen[False], f"nginx: plainly {seen[False]}, under "
          f"the agent {seen[True]}")
    return ("50 of 50 GETs, 2 workers as www-data, exit 0 both ways; "
            "heapmin status answered by master and workers")


def case_redis(r):
    """Debian's redis-server (jemalloc): a BGSAVE child that ends by
    _exit() leaves no socket; the server's agent answers."""
    if shutil.which("redis-server") is None:
        raise Missing("redis-server is not installed (apt-get install "
                      "redis-server)")
    seen = {}
    for agent in (False, True):
        d = os.path.join(r.tmp, f"redis-{int(agent)}")
        os.mkdir(d)
        port = free_port()
        p = serve(r, agent, ["redis-server", "--port", str(port), "--dir", d,
                             "--save", "", "--daemonize", "no",
                             "--enable-debug-command", "local"])

        def cli(*args):
            return subprocess.run(["redis-cli", "-p", str(port), *args],
                                  capture_output=True, timeout=30
                                  ).stdout.decode().strip()
        try:
            until_up(p, "redis-server did not answer",
                     lambda: cli("ping") == "PONG")
            cli("debug", "populate", "100000")
            cli("bgsave")
            saver_pids, saving = set(), time.monotonic()
            while "rdb_bgsave_in_progress:1" in cli("info", "persistence"):
                saver_pids.update(children(p.pid))
                time.sleep(0.05)
            saving = time.monotonic() - saving
            saved = "rdb_last_bgsave_status:ok" in cli("info", "persistence")
            keys = cli("dbsize")
            if agent:
                rc, text = r.status(p.pid)
                check(rc == 0 and "jemalloc" in text, f"status: {text!r}")
                time.sleep(1.5)  # past a fork child's agent start
                socks = set(os.listdir(f"/tmp/heapmin-{os.geteuid()}"))
                # The save's child: the server's only child so far.
                left = [s for s in socks
                        if s.endswith(".sock") and s != f"{p.pid}.sock" and
                        int(s[:-5]) in saver_pids]
                check(f"{p.pid}.sock" in socks, f"sockets: {sorted(socks)}")
                # A save that outlives a fork child's start delay (1 s; a
                # loaded machine) has an agent of its own, and leaving by
                # _exit() it leaves its socket for the next agent to
                # clean: only a short save is judged.
                check(saving > 0.5 or not left,
                      f"a {saving:.2f} s save left {left}")
            cli("shutdown", "nosave")
            rc = p.wait(30)
        finally:
            if p.poll() is None:
                p.kill()
        seen[agent] = (saved, keys, rc)
        if agent:
            took = saving
    check(seen[False] == (True, "100000", 0), f"premise: {seen[False]}")
    check(seen[True] == seen[False], f"redis: plainly {seen[False]}, under "
          f"the agent {seen[True]}")
    return (f"BGSAVE of 100000 keys ok, exit 0 both ways; the agent answers "
            f"(jemalloc); the save took {took:.2f} s" +
            ("; its child left no socket" if took <= 0.5 else
             " (too long to judge its socket)"))


def case_memcached(r):
    """Debian's memcached, switching to nobody after start-up."""
    if os.geteuid() != 0:
        raise Skip("not root: memcached -u cannot switch users")
    if shutil.which("memcached") is None:
        raise Missing("memcached is not installed (apt-get install "
                      "memcached)")
    import socket
    seen = {}
    for agent in (False, True):
        port = free_port()
        p = serve(r, agent, ["memcached", "-u", "nobody", "-p", str(port),
                             "-U", "0", "-l", "127.0.0.1"])
        try:
            c = until_up(p, "memcached did not listen",
                         lambda: socket.create_connection(("127.0.0.1", port),
                                                          5))
            c.sendall(b"set a 0 0 5\r\nhello\r\nget a\r\nquit\r\n")
            got = b""
            while True:
                chunk = c.recv(4096)
                if not chunk:
                    break
                got += chunk
            c.close()
            uid = os.stat(f"/proc/{p.pid}").st_uid
            if agent:
                rc, text = r.status(p.pid)
                check(rc == 0, f"status after the switch to nobody: {text!r}")
        finally:
            p.terminate()
            rc = p.wait(30)
        seen[agent] = (got.decode(), rc)
    want = "STORED\r\nVALUE a 0 5\r\nhello\r\nEND\r\n"
    check(seen[False][0] == want, f"premise: {seen[False]}")
    check(seen[True] == seen[False], f"memcached: plainly {seen[False]}, "
          f"under the agent {seen[True]}")
    return "set and get both ways; heapmin status answered after the switch"


def vmlck(text):
    return int(re.search(r"VmLck:\s+(\d+) kB", text).group(1))


def case_mlock(r):
    """mlockall(MCL_CURRENT | MCL_FUTURE): as root, what the agent adds to
    the locked size; as nobody, whose RLIMIT_MEMLOCK (8 MiB) must hold the
    whole address space, whether it still works at all."""
    plain = r.run(False, [r.harm, "mlock"])
    under = r.run(True, [r.harm, "mlock"])
    check("VmLck" in plain[1], f"premise: mlockall plainly: {plain[1]!r}")
    check("VmLck" in under[1], f"mlockall under the agent: {under[1]!r}")
    extra = vmlck(under[1]) - vmlck(plain[1])
    # Two 8 MiB default stacks made this 82 MiB, and a malloc arena of
    # heapmin's thread (a 64 MiB reservation) 66 MiB. What remains is its
    # 256 KiB stack.
    check(extra < 1024, f"the agent adds {extra} kB of locked memory")
    said = (f"locked {vmlck(plain[1])} kB plainly, {vmlck(under[1])} kB "
            "under the agent")
    if os.geteuid() != 0:
        return said + "; not root: not run as nobody"
    harm, agent = r.public()
    argv = [*NOBODY, harm, "mlock"]
    plain = r.run(False, argv)
    under = r.run(False, argv, env=dict(r.env(), LD_PRELOAD=agent,
                                         HEAPMIN_AUTO=""))
    check("VmLck" in plain[1], f"premise: mlockall as nobody: {plain[1]!r}")
    check("VmLck" in under[1], f"mlockall as nobody under the agent: "
          f"{under[1]!r} {under[2]!r}")
    return said + "; as nobody it works both ways"


def case_exit_children(r):
    p, lines, pid = r.start(True, [r.harm, "exit-children"])
    time.sleep(2)  # longer than a fork child's agent waits to start
    sockets = sorted(os.listdir(os.path.join(r.xdg, "heapmin")))
    rc, _ = finish(p)
    check(lines == ["5 children, 0 failed"] and rc == 0, f"{lines} {rc}")
    check(sockets == [f"{pid}.sock"], f"sockets: {sockets}")
    return "5 children left by _exit(): only the parent's socket remains"


def case_apache2(r):
    """Debian's Apache with the prefork MPM: children forked without exec
    that switch to www-data, replaced by a graceful restart (SIGUSR1)."""
    if os.geteuid() != 0:
        raise Skip("not root: Apache's children cannot switch users")
    if not os.path.exists("/usr/sbin/apache2"):
        raise Missing("apache2 is not installed (apt-get install apache2)")
    r.public()  # www-data must reach the files below r.tmp
    seen = {}
    for agent in (False, True):
        d = os.path.join(r.tmp, f"apache2-{int(agent)}")
        os.makedirs(os.path.join(d, "www"))
        os.chmod(d, 0o755)
        with open(os.path.join(d, "www", "index.html"), "w") as f:
            f.write("hello\n")
        os.chmod(os.path.join(d, "www", "index.html"), 0o644)
        port = free_port()
        conf = os.path.join(d, "apache2.conf")
        with open(conf, "w") as f:
            f.write(f"""ServerRoot {d}
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
ServerName localhost
Listen 127.0.0.1:{port}
User www-data
Group www-data
PidFile {d}/apache2.pid
Mutex file:{d} default
ErrorLog {d}/error.log
DocumentRoot {d}/www
StartServers 2
MinSpareServers 2
MaxSpareServers 4
<Directory {d}/www>
  Require all granted
</Directory>
""")
        p = serve(r, agent, ["/usr/sbin/apache2", "-f", conf, "-DFOREGROUND"])
        try:
            get = lambda: [http_get(port, "/index.html") for _ in range(30)]
            body = until_up(p, "apache2 did not serve", get)
            before = children(p.pid)
            users = sorted({os.stat(f"/proc/{c}").st_uid for c in before})
            os.kill(p.pid, 10)  # SIGUSR1: graceful restart
            after = wait_for_change(p.pid, before)
            body += until_up(p, "apache2 did not serve after the restart",
                             get)
            statuses = [r.status(pid)[0] for pid in [p.pid] + after[:1]] \
                if agent else []
        finally:
            p.terminate()
            rc = p.wait(30)
        seen[agent] = (body.count("hello\n"), users, bool(after), rc)
        if agent:
            check(statuses == [0, 0], f"heapmin status of the parent and "
                  f"a child after the restart: {statuses}")
    check(seen[False] == (60, [33], True, 0),
          f"premise: apache2 plainly: {seen[False]}")
    check(seen[True] == seen[False], f"apache2: plainly {seen[False]}, "
          f"under the agent {seen[True]}")
    return ("60 of 60 GETs around a graceful restart, children as "
            "www-data, exit 0 both ways; heapmin status answered by the "
            "parent and a new child")


def wait_for_change(pid, before, timeout=30):
    """The children of pid once none of before is among them."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        now = children(pid)
        if now and not set(now) & set(before):
            return now
        time.sleep(0.1)
    return []


def case_postgresql(r):
    """Debian's PostgreSQL 15, run as postgres: initdb (which runs the
    server in bootstrap mode), then a postmaster that forks a backend per
    connection and pgbench's transactions; the same results both ways."""
    if os.geteuid() != 0:
        raise Skip("not root: PostgreSQL must run as postgres")
    bindir = "/usr/lib/postgresql/15/bin"
    if not os.path.exists(os.path.join(bindir, "pgbench")):
        raise Missing("PostgreSQL 15 is not installed (apt-get install "
                      "postgresql)")
    import pwd
    pg = pwd.getpwnam("postgres")
    as_pg = ["setpriv", f"--reuid={pg.pw_uid}", f"--regid={pg.pw_gid}",
             "--init-groups"]
    _, agent = r.public()
    seen = {}
    for under in (False, True):
        d = os.path.join(r.tmp, f"pg-{int(under)}")
        os.mkdir(d)
        os.chown(d, pg.pw_uid, pg.pw_gid)
        env = dict(r.server_env(), **({"LD_PRELOAD": agent, "HEAPMIN_AUTO": ""}
                                      if under else {}))
        port = str(free_port())
        conn = ["-h", d, "-p", port, "-U", "postgres"]

        def pg_run(*argv, timeout=300):
            p = subprocess.run([*as_pg, *argv], env=env, cwd=d,
                               capture_output=True, timeout=timeout)
            return p.returncode, p.stdout.decode(), p.stderr.decode()
        init = pg_run(f"{bindir}/initdb", "-D", f"{d}/data", "-A", "trust",
                      "-U", "postgres", "--no-sync")
        check(init[0] == 0, f"initdb: {init[2][-400:]!r}")
        p = subprocess.Popen([*as_pg, f"{bindir}/postgres", "-D", f"{d}/data",
                              "-k", d, "-p", port, "-c", "listen_addresses=",
                              "-c", "fsync=off"], env=env, cwd=d,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            until_up(p, "postgres did not answer",
                     lambda: pg_run(f"{bindir}/pg_isready", *conn)[0] == 0, 60)
            bench = [pg_run(f"{bindir}/pgbench", "-i", "-s", "2", *conn,
                            "postgres")[0]]
            rc, out, err = pg_run(f"{bindir}/pgbench", "-c", "4", "-j", "2",
                                  "-t", "200", *conn, "postgres")
            bench += [rc] + re.findall(r"(?:actually processed|failed "
                                       r"transactions): (\S+)", out)
            backend = None
            if under:
                check(r.status(p.pid)[0] == 0, "no status from the postmaster")
                psql = subprocess.Popen(
                    [*as_pg, f"{bindir}/psql", *conn, "-At", "postgres"],
                    env=r.server_env(), cwd=d, stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                psql.stdin.write(b"select pg_backend_pid();\n")
                psql.stdin.flush()
                backend = int(psql.stdout.readline())
                status = r.status(backend)
                psql.stdin.close()
                psql.wait(30)
                check(status[0] == 0 and
                      backend in children(p.pid),
                      f"backend {backend}: {status[1]!r}")
        finally:
            p.terminate()
            rc = p.wait(60)
        seen[under] = (bench, rc)
    want = ([0, 0, "800/800", "0"], 0)
    check(seen[False] == want, f"premise: PostgreSQL plainly: {seen[False]}")
    check(seen[True] == seen[False], f"PostgreSQL: plainly {seen[False]}, "
          f"under the agent {seen[True]}")
    return ("initdb, pgbench -i and 800 of 800 transactions (0 failed), "
            f"exit 0 both ways; heapmin status answered by the postmaster "
            f"and backend {backend}")


def case_clone(r):
    """clone() with namespace flags: the kernel lets a multi-threaded
    process make a child in new namespaces, and the child (one thread; no
    fork handlers run) must find nothing of the agent's."""
    plain = r.run(False, [r.harm, "clone"])
    under = r.run(True, [r.harm, "clone"])
    lines = plain[1].splitlines()
    check(plain[0] == 0 and len(lines) == 3,
          f"premise: harm clone plainly: {plain}")
    ran = [l for l in lines if "exit 0" in l]
    if not ran:
        raise Skip(f"no clone() with namespace flags works here without "
                   f"heapmin: {lines}")
    check(all("threads 1 " in l for l in ran), f"premise: {lines}")
    check(under[:2] == plain[:2], f"plainly {plain[1]!r}, under the agent "
          f"{under[1]!r} {under[2]!r}")
    return f"the same {len(ran)} of 3 clones work both ways: " + "; ".join(ran)


def cpython(r, args, timeout):
    if not os.path.exists("/usr/lib/python3.11/test/test_threading.py"):
        raise Missing("CPython's test suite is not installed (apt-get "
                      "install libpython3.11-testsuite)")
    argv = [PYTHON, "-m", "test", *args]
    try:
        plain = r.run(False, argv, timeout)
    except Failed:
        # The premise: a verdict without heapmin. test_socket's VSOCK
        # tests hang on this project's Firecracker VM.
        raise Skip(f"{' '.join(args)} has no verdict here without heapmin: "
                   f"still running after {timeout} s")
    under = r.run(True, argv, timeout)

    def verdict(res):
        m = re.search(r"Tests result: (\w+)", res[1])
        return res[0], m.group(1) if m else None
    if verdict(plain)[1] is None:
        raise Skip(f"{' '.join(args)} has no verdict here without heapmin: "
                   f"{plain[1][-300:]!r}")
    check(verdict(under) == verdict(plain), f"{' '.join(args)}: plainly "
          f"{verdict(plain)}, under the agent {verdict(under)}: "
          f"{under[1][-800:]}")
    return f"{' '.join(args)}: {verdict(plain)[1]} both ways"


def case_cpython(r):
    return cpython(r, ["test_threading", "-m",
                       "test_main_thread_after_fork_from_nonmain_thread"], 300)


# In --long only: the spawned child dup2()s onto every free number below
# 256 about when its agent's trimmer begins, whose open() calls (pressure
# files, the socket) take the lowest free number for a moment, so the
# test can in principle find a number below 256 taken or freed. Seen in
# about 1 run in 6 with 0.3's agent; 0 in 173 runs on 2026-12-01 (100 of
# them beside the load run), with descriptors kept high and one thread.
KNOWN = [["test_multiprocessing_spawn", "-m", "test_large_fd_transfer"]]


CASES = {"closefds": case_closefds, "exit-main": case_exit_main,
         "fork-thread": case_fork_thread, "setuid": case_setuid,
         "unshare": case_unshare, "setpriv": case_setpriv,
         "nproc": case_nproc, "pids": case_pids, "mlock": case_mlock,
         "exit-children": case_exit_children, "clone": case_clone,
         "nginx": case_nginx,
         "redis": case_redis, "memcached": case_memcached,
         "apache2": case_apache2, "postgresql": case_postgresql,
         "cpython": case_cpython}


def main():
    args = sys.argv[1:]
    long_mode = bool(args) and args[0] == "--long"
    if long_mode:
        args = args[1:]
    if len(args) != 3:
        print(__doc__)
        return 2
    r = Runner(*args)
    failed = skipped = passed = 0
    cases = list(CASES.items())
    if long_mode:
        cases += [(" ".join(a), lambda r, a=a: cpython(r, a, 300))
                  for a in KNOWN]
        cases += [(m, lambda r, m=m: cpython(r, ["-j2", m], 1800))
                  for m in LONG_MODULES]
    try:
        for name, fn in cases:
            try:
                print(f"ok - {name}: {fn(r)}")
                passed += 1
            except Missing as e:
                # The test matrix installs every program: none may skip.
                if os.environ.get("HEAPMIN_REQUIRE_PROGRAMS") == "1":
                    print(f"not ok - {name}: {e} (HEAPMIN_REQUIRE_PROGRAMS=1)")
                    failed += 1
                else:
                    print(f"ok - {name} # SKIP {e}")
                    skipped += 1
            except Skip as e:
                print(f"ok - {name} # SKIP {e}")
                skipped += 1
            except Failed as e:
                print(f"not ok - {name}: {e}")
                failed += 1
            sys.stdout.flush()
    finally:
        shutil.rmtree(r.tmp, ignore_errors=True)
    print(f"harm: {passed} passed, {failed} failed, {skipped} skipped")
    if failed:
        return 1
    # Every case skipped: nothing was shown.
    return 77 if passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
