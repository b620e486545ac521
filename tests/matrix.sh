#!/usr/bin/env bash
# The whole test matrix, the README's test command and what CI runs: every
# backend and toolchain heapmin claims, built with --werror and tested with
# meson test, plus the sanitizer and valgrind runs, the ways a consumer
# links heapmin (meson subproject, pkg-config, CMake), the installed tree,
# the release tarball and a check of the GitHub workflow that runs heapmin
# on the systems these machines cannot (.github/workflows/ci.yml). Other
# systems are compiled and linked against their own headers and libraries
# (macOS, FreeBSD, Android; NetBSD's headers), and Windows is tested under
# 64- and 32-bit Wine with msvcrt and the UCRT: tools/toolchains.sh
# installs what these need into build-matrix/toolchains.
#
# Usage: tests/matrix.sh [--repeat N] [--load] [CONFIG...]
#   (default: every configuration)
#   --repeat N  runs each configuration's tests N times (meson test --repeat)
#   --load      keeps both cores busy with two spinning processes meanwhile,
#               as on a shared CI machine: a test that flakes shows up here
# Build trees and logs go to build-matrix/. Ends with "matrix: N passed,
# N failed, N skipped" and exits non-zero if anything failed; a
# configuration skips (saying why) only where its material cannot be had.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$PWD
out=$top/build-matrix

repeat=1
load=0
while [ $# -gt 0 ]; do
    case $1 in
    --repeat)
        case ${2:-} in
        '' | *[!0-9]* | 0)
            echo "matrix: --repeat needs a count of 1 or more" >&2
            exit 2
            ;;
        esac
        repeat=$2
        shift 2
        ;;
    --load) load=1; shift ;;
    -*) echo "matrix: unknown option $1 (see the top of $0)" >&2; exit 2 ;;
    *) break ;;
    esac
done

. tools/deps.sh
heapmin_need_packages meson ninja-build pkg-config python3 binutils gcc g++ \
    libc6-dev clang libjemalloc-dev libgoogle-perftools-dev libmimalloc-dev \
    libclang-rt-14-dev libtbbmalloc2 libtbb-dev musl-tools valgrind \
    gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 gcc-mingw-w64-i686 \
    g++-mingw-w64-i686 wine wine64 lld llvm-14 debootstrap ca-certificates \
    gunicorn util-linux mandoc groff-base \
    man-db cmake python3-dev git xz-utils libpython3.11-testsuite \
    nginx-light redis-server memcached postgresql-15 apache2 || exit 1

# Wine quietly, and without offering to install Mono or Gecko.
export WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
# Every allocator and program is installed above: the preload and agent
# tests must not skip one.
export HEAPMIN_REQUIRE_ALLOCATORS=1 HEAPMIN_REQUIRE_PROGRAMS=1

passed=0
failed=0
skipped=0
failures=()

# check NAME COMMAND...: runs one configuration, logging to build-matrix/NAME.log.
# A configuration may end its log with "result: WHAT RAN", shown after ok;
# one whose material is missing exits 77 after "skip: WHY".
check() {
    local name=$1 start=$SECONDS rc result
    shift
    if ! want "$name"; then
        return 0
    fi
    printf '%-16s ' "$name"
    # Not inside an if: bash ignores set -e in a condition, and every step
    # of a configuration must stop it.
    (set -e; "$@") >"$out/$name.log" 2>&1
    rc=$?
    result=$(sed -n 's/^result: //p' "$out/$name.log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok ($((SECONDS - start)) s)${result:+: $result}"
    elif [ $rc -eq 77 ]; then
        skipped=$((skipped + 1))
        echo "SKIPPED: $(sed -n 's/^skip: //p' "$out/$name.log" | tail -n 1)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "FAILED ($((SECONDS - start)) s); last lines of $out/$name.log:"
        tail -n 25 "$out/$name.log" | sed 's/^/    /'
    fi
}

selected=("$@")
want() {
    [ ${#selected[@]} -eq 0 ] && return 0
    local s
    for s in "${selected[@]}"; do [ "$s" = "$1" ] && return 0; done
    return 1
}

# build_and_test NAME [KEY=VALUE...] -- [MESON SETUP ARGS...]: a fresh build
# tree, compiled and tested. KEY=VALUE go to the environment (CC, and
# HEAPMIN_EXPECT_BACKEND, which the contract test checks). With a WINEPREFIX
# among them, Wine is warmed up there before the tests start in parallel.
#
# A wineserver ends 3 s after its last program; a program that starts
# just then gets "recvmsg: Connection reset by peer". For the tests, one
# server is started that stays until 30 s after the last, and Wine's own
# services with it: started by a test, they would hold that test's output
# open (meson waits for it) as long as the server lives.
# wine_warm_up RUN: RUN PROGRAM runs a Wine program in the prefix, RUN
# wineserver the prefix's server.
wine_warm_up() {
    "$1" wineboot -i
    "$1" wineserver -w
    "$1" wineserver -p30
    "$1" wineboot </dev/null >/dev/null 2>&1
}
run64() { "$@"; }

build_and_test() {
    local name=$1 envs=()
    shift
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    rm -rf "$out/$name"
    env "${envs[@]}" meson setup "$out/$name" -Dwerror=true "$@"
    meson compile -C "$out/$name"
    if env "${envs[@]}" sh -c '[ -n "${WINEPREFIX:-}" ]'; then
        (export "${envs[@]}" && wine_warm_up run64)
    fi
    # SKIP_SUITE=NAME leaves a suite out (meson test --no-suite).
    # shellcheck disable=SC2046
    env "${envs[@]}" meson test -C "$out/$name" --print-errorlogs \
        --repeat "$repeat" $(env "${envs[@]}" sh -c \
        '[ -n "${SKIP_SUITE:-}" ] && echo --no-suite "$SKIP_SUITE"')
}

# ---- other systems, against their real headers -----------------------------
# The material (zig, the sysroots, a root for 32-bit Wine) is installed into
# build-matrix/toolchains by tools/toolchains.sh and kept between runs.
tools=$out/toolchains
. tools/toolchains.sh

# The constants the cross files in cross/ name: where zig, this folder's
# cross/ and the sysroots are.
paths_file() {
    local zig=${1:-} sysroots=${2:-}
    mkdir -p "$tools"
    printf "[constants]\nzig = '%s'\ncross = '%s'\nsysroots = '%s'\n" \
        "$zig" "$top/cross" "$sysroots" >"$tools/paths.txt"
    echo "$tools/paths.txt"
}

# need WHAT COMMAND...: runs a tools/toolchains.sh step; where it cannot
# provide the material, the configuration skips with its one line.
need() {
    local what=$1
    shift
    mkdir -p "$tools"
    "$@" 2>"$tools/$what.err" || { cat "$tools/$what.err"; echo "skip: $(tail -n 1 "$tools/$what.err")"; exit 77; }
    cat "$tools/$what.err" >&2
}
need_zig() {
    zig=$(need zig heapmin_zig "$tools") || { echo "$zig"; exit 77; }
}
need_sysroots() {
    need sysroots heapmin_sysroots "$tools/sysroots"
}

# What meson test made of a cross build: the tests that passed, and those
# skipped (exit 77: under Wine, or needing the other system itself).
tests_result() { # NAME WHAT SKIPPED-MEANS
    local log=$out/$1/meson-logs/testlog.json ran skip
    ran=$(grep -c '"result": "OK"' "$log" || true)
    skip=$(grep -c '"result": "SKIP"' "$log" || true)
    echo "result: $2; $ran tests passed, $skip $3"
}

# cross_build NAME WHAT CROSS-FILE...: built with --werror, linked, and the
# tests that run on this machine (exports, the file graph, the man pages).
cross_build() {
    local name=$1 what=$2 args=()
    shift 2
    for f; do args+=(--cross-file "$f"); done
    rm -rf "$out/$name"
    meson setup "$out/$name" -Dwerror=true "${args[@]}"
    grep -E 'trims with' "$out/$name/meson-logs/meson-log.txt" | tail -n 1
    meson compile -C "$out/$name"
    meson test -C "$out/$name" --print-errorlogs
    tests_result "$name" "$what" "need the system itself"
}

macos() { # ARCH
    need_zig
    cross_build "macos-$1" "compiled and linked against macOS SDK 15.1" \
        "$(paths_file "$zig")" "cross/zig-macos-$1.txt"
}

freebsd() {
    need_sysroots
    cross_build freebsd "compiled and linked against FreeBSD 10.2" \
        "$(paths_file "" "$tools/sysroots")" cross/freebsd-x86_64.txt
}

android() { # API
    need_sysroots
    mkdir -p "$tools"
    printf "[constants]\napi = '%s'\n" "$1" >"$tools/android-$1.txt"
    cross_build "android-$1" "compiled and linked against bionic (API $1)" \
        "$(paths_file "" "$tools/sysroots")" "$tools/android-$1.txt" \
        cross/android-aarch64-sysroot.txt
}

# NetBSD: headers only, so every object a NetBSD build makes, and no link.
netbsd() {
    local dir=$out/netbsd objects
    need_sysroots
    rm -rf "$dir"
    meson setup "$dir" -Dwerror=true --cross-file "$(paths_file "" "$tools/sysroots")" \
        --cross-file cross/netbsd-x86_64-headers.txt
    grep -E 'trims with' "$dir/meson-logs/meson-log.txt" | tail -n 1
    objects=$(ninja -C "$dir" -t targets all | sed -n 's/^\(.*\.o\): .*/\1/p')
    # shellcheck disable=SC2086
    ninja -C "$dir" $objects
    echo "result: $(echo "$objects" | wc -l) objects compiled against NetBSD 7.99's headers"
}

# Debian's mingw-w64 with the UCRT swapped in for msvcrt (cross/mingw-ucrt.txt).
ucrt_specs() { # TRIPLET
    mkdir -p "$tools"
    "$1-gcc" -dumpspecs | sed 's/-lmsvcrt/-lucrt/g' >"$tools/ucrt-specs-$1"
    printf "[constants]\nucrt_specs = '%s'\n" "$tools/ucrt-specs-$1" \
        >"$tools/ucrt-$1.txt"
    echo "$tools/ucrt-$1.txt"
}

mingw64_ucrt() {
    build_and_test mingw64-ucrt WINEPREFIX="$out/mingw64-ucrt/wine-prefix" \
        HEAPMIN_EXPECT_BACKEND=win32 -- --cross-file cross/x86_64-w64-mingw32.txt \
        --cross-file "$(ucrt_specs x86_64-w64-mingw32)" --cross-file cross/mingw-ucrt.txt
    tests_result mingw64-ucrt "Debian's mingw-w64, the UCRT, under Wine" "skipped"
}

zig_windows() {
    need_zig
    build_and_test mingw64-ucrt-zig \
        WINEPREFIX="$out/mingw64-ucrt-zig/wine-prefix" HEAPMIN_EXPECT_BACKEND=win32 -- \
        --cross-file "$(paths_file "$zig")" --cross-file cross/zig-x86_64-windows.txt
    tests_result mingw64-ucrt-zig "zig 0.14, the UCRT, under Wine" "skipped"
}

# 32-bit Windows programs under the 32-bit Wine of an i386 root
# (cross/wine32-chroot), over the i686 cross file's plain wine.
wine32() { # NAME MESON-ARGS...
    local name=$1
    shift
    need wine32 heapmin_wine32 "$tools"
    printf "[binaries]\nexe_wrapper = ['%s', '%s']\n" "$top/cross/wine32-chroot" \
        "$tools/wine32-root" >"$tools/wine32.txt"
    rm -rf "$out/$name"
    meson setup "$out/$name" -Dwerror=true --cross-file cross/i686-w64-mingw32.txt \
        --cross-file "$tools/wine32.txt" "$@"
    meson compile -C "$out/$name"
    (
        cd "$out/$name"
        export WINEPREFIX=$PWD/wine-prefix
        run32() { "$top/cross/wine32-chroot" "$tools/wine32-root" "$@"; }
        wine_warm_up run32
    )
    WINEPREFIX=$out/$name/wine-prefix HEAPMIN_EXPECT_BACKEND=win32 \
        meson test -C "$out/$name" --print-errorlogs --repeat "$repeat"
    tests_result "$name" "under 32-bit Wine" "skipped"
}

# A parent project that takes heapmin as a subproject: its consumer must get
# the allocator heapmin trims.
subproject() {
    local dir=$out/consumer-$1
    rm -rf "$dir"
    mkdir -p "$dir/subprojects"
    cp tests/consumer/meson.build tests/consumer/meson_options.txt \
        tests/live-malloc.c "$dir/"
    ln -s "$top" "$dir/subprojects/heapmin"
    meson setup "$dir/build" "$dir" --force-fallback-for=heapmin \
        -Dheapmin:trim_backend="$1" -Dheapmin:tests=false -Dexpect="$2"
    meson test -C "$dir/build" --print-errorlogs
}

# An installed jemalloc build, consumed through pkg-config by a program that
# links with --as-needed and never calls malloc itself.
pkgconfig() {
    local dir=$out/pkgconfig
    rm -rf "$dir"
    meson setup "$dir/build" --prefix="$dir/prefix" --libdir=lib \
        -Dtrim_backend=jemalloc -Dtests=false
    meson install -C "$dir/build"
    export PKG_CONFIG_PATH=$dir/prefix/lib/pkgconfig
    # shellcheck disable=SC2046
    cc -std=c99 -o "$dir/live-malloc" tests/live-malloc.c -Wl,--as-needed \
        $(pkg-config --cflags --libs heapmin) -ldl -Wl,-rpath,"$dir/prefix/lib"
    "$dir/live-malloc" jemalloc
}

# The default build installed into a scratch prefix: the installed command
# finds the installed agent (not the build tree's), which loads and starts
# its one thread with nothing of the build tree.
installed() {
    local dir=$out/install threads
    rm -rf "$dir"
    meson setup "$dir/build" --prefix="$dir/prefix" -Dtests=false
    meson install -C "$dir/build"
    mv "$dir/build" "$dir/build-moved" # nothing may come from the build tree
    "$dir/prefix/bin/heapmin" --version
    threads=$("$dir/prefix/bin/heapmin" run -- /bin/sh -c \
        'grep -c libheapmin-auto /proc/$$/maps >/dev/null && sleep 0.5 &&
         ls /proc/$$/task | wc -l')
    echo "threads under the installed agent: $threads"
    [ "$threads" -eq 2 ]
}

# heapmin's CMake package (and its pkg-config file, through CMake), from an
# installed jemalloc build, by a CMake consumer: find_package with a version
# it meets and ones it does not, shared and static, from the prefix where it
# was installed and after the prefix is moved (relocatable).
cmake_package() {
    local dir=$out/cmake prefix
    rm -rf "$dir"
    # libdir=lib: meson's default depends on whether dpkg-dev is installed.
    meson setup "$dir/build" --prefix="$dir/prefix" --libdir=lib \
        -Dtrim_backend=jemalloc -Dtests=false
    meson install -C "$dir/build"
    mv "$dir/prefix" "$dir/moved"
    prefix=$dir/moved
    consumer() { # NAME CMAKE-ARGS...
        local b=$dir/$1
        shift
        cmake -G Ninja -S tests/cmake -B "$b" -DCMAKE_PREFIX_PATH="$prefix" \
            "$@" && cmake --build "$b" &&
            LD_LIBRARY_PATH=$prefix/lib "$b/live-malloc" jemalloc
    }
    consumer shared -DHOW=package -DWANT=0.3
    consumer older -DHOW=package -DWANT=0.2
    consumer range -DHOW=package -DWANT=0.1...0.4
    consumer static -DHOW=static
    PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name heapmin.pc)") \
        consumer pkgconfig -DHOW=pkgconfig
    for too_new in 0.4 1.0 0.1...\<0.3; do
        if cmake -G Ninja -S tests/cmake -B "$dir/new" -DCMAKE_PREFIX_PATH="$prefix" \
            -DWANT=$too_new >"$dir/new.log" 2>&1; then
            echo "find_package(heapmin $too_new) must fail"
            return 1
        fi
        grep -q 'compatible' "$dir/new.log"
        rm -rf "$dir/new"
    done
}

# The release tarball (meson dist: the committed tree), unpacked, built and
# tested on its own: every file a build needs must be in it, and its quick
# tests pass (the allocator and agent suites, slow and already run on these
# sources above, are left out).
dist() {
    local dir=$out/dist version
    rm -rf "$dir"
    version=$(python3 tools/version.py include/heapmin.h)
    meson setup "$dir/build" -Dtests=false
    meson dist -C "$dir/build" --no-tests --formats xztar
    tar -C "$dir" -xJf "$dir/build/meson-dist/heapmin-$version.tar.xz"
    meson setup "$dir/unpacked" "$dir/heapmin-$version" -Dwerror=true
    meson compile -C "$dir/unpacked"
    meson test -C "$dir/unpacked" --print-errorlogs --no-suite allocator \
        --no-suite agent
    ls -l "$dir/build/meson-dist/"
}

mkdir -p "$out"
if [ $load -eq 1 ]; then
    for _ in 1 2; do sh -c 'while :; do :; done' & done
    trap 'kill $(jobs -p) 2>/dev/null' EXIT
    echo "load: two spinning processes beside the tests"
fi
[ "$repeat" -gt 1 ] && echo "repeat: every configuration's tests $repeat times"
started=$SECONDS
check gcc build_and_test gcc CC=gcc HEAPMIN_EXPECT_BACKEND=malloc_trim --
# The bench's smoke tests check its output, not the compiler: gcc runs
# them (two minutes), clang does not.
check clang build_and_test clang CC=clang CXX=clang++ \
    HEAPMIN_EXPECT_BACKEND=malloc_trim SKIP_SUITE=bench --
check jemalloc build_and_test jemalloc CC=gcc -- -Dtrim_backend=jemalloc
check tcmalloc build_and_test tcmalloc CC=gcc -- -Dtrim_backend=tcmalloc
check mimalloc build_and_test mimalloc CC=gcc -- -Dtrim_backend=mimalloc
check scudo build_and_test scudo CC=gcc -- -Dtrim_backend=scudo
check tbbmalloc build_and_test tbbmalloc CC=gcc -- -Dtrim_backend=tbbmalloc
check stub build_and_test stub CC=gcc -- -Dtrim_backend=stub
# musl has no malloc_trim: auto must choose the stub. There is no musl C++
# compiler here (g++ would link glibc's C++ runtime against a musl library),
# so CXX=false leaves the C++ header test to the other configurations.
check musl build_and_test musl CC=musl-gcc CXX=false HEAPMIN_EXPECT_BACKEND=stub -- \
    -Ddefault_library=static -Dc_link_args=-static
check asan-ubsan build_and_test asan-ubsan CC=gcc -- \
    -Db_sanitize=address,undefined -Dc_args=-fno-sanitize-recover=all
check tsan build_and_test tsan CC=gcc -- -Db_sanitize=thread
check valgrind meson test -C "$out/gcc" --setup valgrind --print-errorlogs \
    --repeat "$repeat"
# Windows binaries, tested under Wine with a prefix inside the build tree.
check mingw64 build_and_test mingw64 WINEPREFIX="$out/mingw64/wine-prefix" \
    HEAPMIN_EXPECT_BACKEND=win32 -- --cross-file cross/x86_64-w64-mingw32.txt
check mingw64-stub build_and_test mingw64-stub \
    WINEPREFIX="$out/mingw64-stub/wine-prefix" -- \
    --cross-file cross/x86_64-w64-mingw32.txt -Dtrim_backend=stub
check mingw64-ucrt mingw64_ucrt
check mingw64-ucrt-zig zig_windows
check mingw32 wine32 mingw32
check mingw32-ucrt wine32 mingw32-ucrt --cross-file "$(ucrt_specs i686-w64-mingw32)" \
    --cross-file cross/mingw-ucrt.txt
# Other systems: compiled and linked against their own headers and libraries.
check macos-x86_64 macos x86_64
check macos-arm64 macos arm64
check freebsd freebsd
check netbsd netbsd
check android-28 android 28
check android-34 android 34
check subproject subproject jemalloc jemalloc
check pkg-config pkgconfig
check install installed
check cmake cmake_package
check dist dist
# The GitHub workflow (.github/workflows/ci.yml), which cannot run here:
# yamllint and the workflow schema.
check workflow tools/check-workflow.sh

echo "whole matrix: $((SECONDS - started)) s"
[ $failed -eq 0 ] || echo "failed: ${failures[*]}"
echo "matrix: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
