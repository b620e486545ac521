#!/usr/bin/env bash
# The Debian packages, checked end to end (root, on Debian 12):
#   1. dpkg-buildpackage -us -uc -b in a clean clone of HEAD (offline; it
#      runs the tests: meson test, as dh_auto_test does);
#   2. lintian on the result: any error or warning fails;
#   3. the packages installed with apt into a bare Debian 12 root
#      (debootstrap --variant=minbase; kept in DIR/root between runs), where
#      a consumer is built with pkg-config and run, the heapmin command runs
#      a program with the agent, and python3 imports the module.
#
# Usage: tools/deb-check.sh [DIR]   (default: build-deb/; needs the network
# for debootstrap and for apt in the bare root)
#
# Not part of tests/matrix.sh: the package build repeats the tests (about
# five minutes) and a new bare root takes minutes more, which CI's 20
# minutes do not hold.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mkdir -p "${1:-$top/build-deb}" && cd "${1:-$top/build-deb}" && pwd)
. "$top/tools/deps.sh"
heapmin_need_packages debhelper dh-python dpkg-dev fakeroot lintian \
    debootstrap meson ninja-build pkg-config python3-dev git

version=$(python3 "$top/tools/version.py" "$top/include/heapmin.h")
echo "== 1. dpkg-buildpackage (heapmin $version)"
rm -rf "$dir/src" "$dir"/*.deb "$dir"/*.changes "$dir"/*.buildinfo
git clone -q "$top" "$dir/src"
(cd "$dir/src" && dpkg-buildpackage -us -uc -b) >"$dir/build.log" 2>&1 || {
    tail -40 "$dir/build.log"
    exit 1
}
grep -E '^(Ok|Fail|Skipped):' "$dir/build.log"
ls "$dir"/*.deb

echo "== 2. lintian"
lintian --display-level '>=info' "$dir/heapmin_${version}_amd64.changes" 2>&1 |
    grep -v 'running with root privileges' | tee "$dir/lintian.log" || true
if grep -qE '^[EW]:' "$dir/lintian.log"; then
    echo "lintian: errors or warnings" >&2
    exit 1
fi
echo "lintian: no errors, no warnings"

echo "== 3. a bare Debian 12 root"
root=$dir/root
if [ ! -x "$root/usr/bin/apt-get" ]; then
    rm -rf "$root"
    debootstrap --variant=minbase bookworm "$root" >"$dir/debootstrap.log"
fi
cp /etc/resolv.conf "$root/etc/"
rm -rf "$root/debs" && mkdir "$root/debs"
cp "$dir"/libheapmin0_*.deb "$dir"/libheapmin-dev_*.deb \
    "$dir"/heapmin_*.deb "$dir"/python3-heapmin_*.deb "$root/debs/"
cp "$top/tests/live-malloc.c" "$root/debs/"
mount --bind /proc "$root/proc"
trap 'umount "$root/proc"' EXIT
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive sh -euc '
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends gcc libc6-dev pkg-config \
        /debs/*.deb >/dev/null
    cd /debs
    cc -o consumer live-malloc.c $(pkg-config --cflags --libs heapmin) -ldl
    ./consumer libc.so
    heapmin --version
    threads=$(heapmin run -- /bin/sh -c "sleep 0.5; ls /proc/\$\$/task | wc -l")
    echo "threads of a program under heapmin run: $threads"
    # The program'"'"'s own and the agent'"'"'s one (the trimmer, which also
    # serves the control socket).
    test "$threads" -eq 2
    python3 -c "import heapmin; print(\"python3:\", heapmin.backend(), heapmin.trim().outcome)"
    man -w heapmin 2>/dev/null || ls /usr/share/man/man3/heapmin.3.gz
'
echo "deb-check: ok"
