#!/usr/bin/env python3
"""No cycle between files: neither in what they include nor in what they call.

Usage: file-graph.py NM SOURCE_ROOT OBJECT_DIRS...

Includes: every `#include "..."` among the project's own C files (src/,
agent/, control/, programs/), resolved as the compiler resolves it (the
including file's directory first, then include/). Calls: for each
OBJECT_DIRS (the objects of one program or library, as meson keeps them in
NAME.p/; several joined with ':' for one link, as the agent is built from
the library's objects and its own), a file calls another when its object
needs a symbol (nm: U) that the other's defines. A call through a pointer is not an edge: that is how a
layer hands a lower one a handler. Prints each cycle found and fails.
"""
import os
import re
import subprocess
import sys

LAYERS = ("src", "agent", "control", "programs")


def cycles(graph):
    """The strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def include_graph(root):
    graph = {}
    for layer in LAYERS:
        for top, _, names in os.walk(os.path.join(root, layer)):
            for name in names:
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(top, name)
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8") as f:
                    for m in re.finditer(r'^\s*#\s*include\s+"([^"]+)"',
                                         f.read(), re.M):
                        for base in (top, os.path.join(root, "include")):
                            target = os.path.normpath(
                                os.path.join(base, m.group(1)))
                            if os.path.exists(target):
                                graph.setdefault(rel, set()).add(
                                    os.path.relpath(target, root))
                                break
    return graph


def call_graph(nm, objdirs):
    defines, needs = {}, {}
    objects = [os.path.join(d, n) for d in objdirs.split(":")
               for n in sorted(os.listdir(d)) if n.endswith(".o")]
    for obj in objects:
        out = subprocess.run([nm, "-P", obj], check=True,
                             capture_output=True, text=True).stdout
        # meson names an object after its source path, '/' as '_'.
        src = os.path.basename(obj)[:-2]
        for line in out.splitlines():
            parts = line.split()
            if len(parts) < 2:
                continue
            sym, kind = parts[0], parts[1]
            if kind == "U":
                needs.setdefault(src, set()).add(sym)
            elif kind.isupper():
                defines[sym] = src
    graph = {}
    for src, syms in needs.items():
        for sym in syms:
            if sym in defines and defines[sym] != src:
                graph.setdefault(src, set()).add(defines[sym])
    return graph


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    nm, root, objdirs = sys.argv[1], sys.argv[2], sys.argv[3:]
    bad = 0
    graph = include_graph(root)
    if not graph:
        print("no includes found under", root)
        return 1
    for comp in cycles(graph):
        print("include cycle:", " <-> ".join(comp))
        bad += 1
    edges = sum(len(v) for v in graph.values())
    print("includes: %d files, %d edges" % (len(graph), edges))
    for objdir in objdirs:
        graph = call_graph(nm, objdir)
        if not graph:
            print("no calls between objects in", objdir)
            return 1
        for comp in cycles(graph):
            print("call cycle in %s:" % objdir,
                  " <-> ".join(comp))
            bad += 1
        print("%s: %d objects calling, %d edges" % (
            " + ".join(os.path.basename(d) for d in objdir.split(":")),
            len(graph),
            sum(len(v) for v in graph.values())))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
