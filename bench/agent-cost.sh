#!/usr/bin/env bash
# What the preload agent costs a program: the start-up time it adds to
# /bin/true (hyperfine, as ratios: the machine is shared and noisy), and the
# CPU its threads take in a program that idles for a minute.
#
# Usage: bench/agent-cost.sh BUILD_DIR [SECONDS]   (default build: a meson
# build tree of the default configuration; SECONDS of idling, default 60)
set -eu
build=$(cd "${1:?usage: $0 BUILD_DIR [SECONDS]}" && pwd)
seconds=${2:-60}
cd "$(dirname "$0")/.."
. tools/deps.sh
heapmin_need_packages hyperfine
agent=$build/agent/libheapmin-auto.so
heapmin=$build/programs/heapmin
[ -x "$heapmin" ] && [ -f "$agent" ] || {
    echo "agent-cost: no agent in $build (meson compile -C $build first)" >&2
    exit 1
}
export XDG_RUNTIME_DIR
XDG_RUNTIME_DIR=$(mktemp -d)
trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT

echo "== start-up: /bin/true, 1000 runs each, env(1) on every line =="
hyperfine -N --warmup 50 --runs 1000 --style basic \
    --command-name 'none' 'env /bin/true' \
    --command-name 'agent, inert (no HEAPMIN_AUTO)' \
    "env LD_PRELOAD=$agent /bin/true" \
    --command-name 'agent' "env LD_PRELOAD=$agent HEAPMIN_AUTO= /bin/true" \
    --command-name 'agent, control=off' \
    "env LD_PRELOAD=$agent HEAPMIN_AUTO=control=off /bin/true" \
    --command-name 'heapmin run' "env $heapmin run /bin/true" 2>&1 |
    grep -Ev '^ *(Range|$)'

echo
echo "== CPU of the agent's threads in a program idling ${seconds} s =="
"$heapmin" run -- sleep "$seconds" &
pid=$!
sleep $((seconds - 1))
total=0
for t in /proc/$pid/task/*; do
    comm=$(cat "$t/comm")
    # The first field of schedstat: nanoseconds on a CPU.
    read -r ns _ <"$t/schedstat"
    echo "thread $comm: $ns ns on a CPU"
    case $comm in heapmin*) total=$((total + ns)) ;; esac
done
wait $pid
awk -v t="$total" -v s="$((seconds - 1))" 'BEGIN {
    printf "agent threads: %.3f ms of CPU in %d s: %.4f %% of one CPU\n",
        t / 1e6, s, 100 * t / 1e9 / s }'
