#!/usr/bin/env bash
# What the preload agent costs programs that spawn many short processes: a
# shell running /bin/true 2000 times, Python's os.posix_spawn() 2000 times
# and subprocess.run() 500 times, each timed plainly and under heapmin run,
# alternating, RUNS times; prints the medians and their ratio (the goal is
# at most 1.10).
#
# Usage: bench/spawn-cost.sh BUILD_DIR [RUNS]   (default 5)
set -eu
build=$(cd "${1:?usage: $0 BUILD_DIR [RUNS]}" && pwd)
runs=${2:-5}
heapmin=$build/programs/heapmin
[ -x "$heapmin" ] || {
    echo "spawn-cost: no heapmin command in $build" >&2
    exit 1
}
export XDG_RUNTIME_DIR
XDG_RUNTIME_DIR=$(mktemp -d)
trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT

shell='i=0; while [ $i -lt 2000 ]; do /bin/true; i=$((i + 1)); done'
spawn='import os
for _ in range(2000):
    os.waitpid(os.posix_spawn("/bin/true", ["true"], os.environ), 0)'
subproc='import subprocess
for _ in range(500):
    subprocess.run(["/bin/true"])'

# seconds COMMAND...: wall time of one run.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN {printf "%.4f\n", b - a}'
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

compare() { # NAME COMMAND...
    local name=$1 i plain=() under=() p u
    shift
    for ((i = 0; i < runs; i++)); do
        plain+=("$(seconds "$@")")
        under+=("$(seconds "$heapmin" run -- "$@")")
    done
    p=$(printf '%s\n' "${plain[@]}" | median)
    u=$(printf '%s\n' "${under[@]}" | median)
    printf '%-28s plainly %6.3f s, under heapmin run %6.3f s: %.2fx\n' \
        "$name" "$p" "$u" "$(awk -v u="$u" -v p="$p" 'BEGIN {print u / p}')"
}

echo "medians of $runs alternating runs"
compare "sh: 2000 x /bin/true" sh -c "$shell"
compare "python: 2000 x posix_spawn" /usr/bin/python3 -c "$spawn"
compare "python: 500 x subprocess.run" /usr/bin/python3 -c "$subproc"
