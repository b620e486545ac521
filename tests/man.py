#!/usr/bin/env python3
"""The manual pages lint clean and match the code.

Usage: man.py VERSION SYMBOLS HEAPMIN_EXE|- PAGE... LINK=TARGET...

  - mandoc -Tlint, groff -ww -z and lexgrog report nothing on any page or
    link (set up, as installed, in man1 and man3 directories);
  - every public symbol (SYMBOLS: comma-separated) has a page, and the page
    it leads to names it under NAME;
  - each page's title carries VERSION;
  - heapmin(1) documents every option `heapmin --help` lists.
With HEAPMIN_REQUIRE_PROGRAMS=1 (the matrix) missing tools fail, else skip.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile


def main():
    version, symbols, exe = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
    pages = [a for a in sys.argv[4:] if "=" not in a]
    links = dict(a.split("=", 1) for a in sys.argv[4:] if "=" in a)
    tools = ["mandoc", "groff", "lexgrog"]
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        msg = (f"{', '.join(missing)} not installed (apt-get install mandoc "
               "groff-base man-db)")
        if os.environ.get("HEAPMIN_REQUIRE_PROGRAMS") == "1":
            print(f"FAIL: {msg}")
            return 1
        print(f"SKIP: {msg}")
        return 77
    problems = []
    root = tempfile.mkdtemp()
    try:
        for p in pages:
            section = p.rsplit(".", 1)[1]
            os.makedirs(os.path.join(root, f"man{section}"), exist_ok=True)
            shutil.copy(p, os.path.join(root, f"man{section}"))
        for link, target in links.items():
            os.symlink(target, os.path.join(root, "man3", link))
        names = {}
        for name in [os.path.basename(p) for p in pages] + list(links):
            rel = os.path.join(f"man{name.rsplit('.', 1)[1]}", name)
            for argv in (["mandoc", "-Tlint", "-Wall", rel],
                         ["groff", "-ww", "-z", "-man", "-t", rel]):
                r = subprocess.run(argv, cwd=root, capture_output=True,
                                   text=True)
                if r.returncode != 0 or r.stdout or r.stderr:
                    problems.append(f"{' '.join(argv)}: rc {r.returncode} "
                                    f"{r.stdout}{r.stderr}")
            if not os.path.exists(os.path.join(root, rel)):
                problems.append(f"{rel} leads nowhere")
                continue
            text = open(os.path.join(root, rel)).read()
            r = subprocess.run(["lexgrog", rel], cwd=root,
                               capture_output=True, text=True)
            if r.returncode != 0:
                problems.append(f"lexgrog {rel}: rc {r.returncode} "
                                f"{r.stderr}")
            names[name] = re.findall(r': "(\S+) - ', r.stdout)
            if name not in links:
                th = re.search(r'^\.TH \S+ \d \d{4}-\d\d-\d\d "heapmin '
                               r'([^"]+)"', text, re.M)
                if not th or th.group(1) != version:
                    problems.append(f"{rel}: title does not say heapmin "
                                    f"{version}")
        for s in symbols:
            page = f"{s}.3"
            if page not in names:
                problems.append(f"{s} has no page {page}")
            elif s not in names[page]:
                problems.append(f"{page} leads to a page whose NAME does not "
                                f"list {s}: {names[page]}")
        if exe != "-":
            usage = subprocess.run([exe, "--help"], capture_output=True,
                                   text=True).stdout
            page = open(os.path.join(root, "man1", "heapmin.1")).read()
            for opt in sorted(set(re.findall(r"--[a-z-]+", usage))):
                if opt.replace("-", r"\-") not in page:
                    problems.append(f"heapmin.1 does not document {opt}")
            for cmd in ("run", "trim", "status"):
                if f"heapmin {cmd}" not in usage or \
                        f".B heapmin {cmd}" not in page:
                    problems.append(f"heapmin {cmd}: not in both usage and "
                                    "page")
    finally:
        shutil.rmtree(root)
    for p in problems:
        print("FAIL:", p)
    print(f"{len(pages)} pages, {len(links)} links, {len(symbols)} symbols: "
          f"{'ok' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
